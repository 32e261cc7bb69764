// /bookmarks/:user: where each reader stopped, per book.
const fs = require('fs');
const express = require('express');
const { isValidId, bookFile } = require('../library');
const { readBookmarks, saveBookmarks } = require('../bookmarks');

const router = express.Router();

router.param('user', (req, res, next, user) => {
  if (!isValidId(user)) return res.status(400).json({ error: 'user must be lowercase letters, digits and dashes' });
  next();
});

router.get('/:user', (req, res, next) => {
  readBookmarks((err, all) => {
    if (err) return next(err);
    res.json({ user: req.params.user, bookmarks: all[req.params.user] || {} });
  });
});

router.put('/:user/:bookId', (req, res, next) => {
  const { user, bookId } = req.params;
  const page = req.body && req.body.page;
  if (!Number.isInteger(page) || page < 1) return res.status(400).json({ error: 'page must be a positive integer' });
  if (!isValidId(bookId)) return res.status(400).json({ error: 'bad book id' });
  fs.stat(bookFile(bookId), (serr) => {
    if (serr) return res.status(404).json({ error: `book ${bookId} not found` });
    readBookmarks((err, all) => {
      if (err) return next(err);
      all[user] = { ...all[user], [bookId]: page };
      saveBookmarks(all, (werr) => {
        if (werr) return next(werr);
        res.json({ user, bookmarks: all[user] });
      });
    });
  });
});

router.delete('/:user/:bookId', (req, res, next) => {
  const { user, bookId } = req.params;
  readBookmarks((err, all) => {
    if (err) return next(err);
    if (!all[user] || all[user][bookId] === undefined) return res.status(404).json({ error: 'no such bookmark' });
    delete all[user][bookId];
    if (Object.keys(all[user]).length === 0) delete all[user];
    saveBookmarks(all, (werr) => {
      if (werr) return next(werr);
      res.status(204).end();
    });
  });
});

module.exports = { router };
