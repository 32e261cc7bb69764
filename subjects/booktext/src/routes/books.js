// /books: the library. Texts are large, so the full text is streamed with res.sendFile.
const express = require('express');
const library = require('../library');
const { countWords, forgetWords } = require('../wordcount');
const { logAccess } = require('../accessLog');

const router = express.Router();

router.param('id', (req, res, next, id) => {
  if (!library.isValidId(id)) return res.status(400).json({ error: 'book id must be lowercase letters, digits and dashes' });
  next();
});

function notFound(res, id) {
  return res.status(404).json({ error: `book ${id} not found` });
}

router.get('/', (req, res, next) => {
  library.listBooks((err, books) => {
    if (err) return next(err);
    res.json({ count: books.length, books });
  });
});

router.get('/:id', (req, res, next) => {
  library.readMeta(req.params.id, (err, meta) => {
    if (err && err.code === 'ENOENT') return notFound(res, req.params.id);
    if (err) return next(err);
    res.json(meta);
  });
});

router.get('/:id/text', (req, res, next) => {
  const id = req.params.id;
  logAccess('text', id, (err) => {
    if (err) return next(err);
    res.sendFile(library.bookFile(id), { headers: { 'content-type': 'text/plain; charset=utf-8' } }, (serr) => {
      if (serr && !res.headersSent) notFound(res, id);
    });
  });
});

router.get('/:id/page/:n', (req, res, next) => {
  const id = req.params.id;
  const page = Number(req.params.n);
  if (!Number.isInteger(page) || page < 1) return res.status(400).json({ error: 'page must be a positive integer' });
  library.readPage(id, page, (err, result) => {
    if (err && err.code === 'ENOENT') return notFound(res, id);
    if (err) return next(err);
    if (!result) return res.status(404).json({ error: `book ${id} has no page ${page}` });
    logAccess(`page ${page}`, id, (lerr) => {
      if (lerr) return next(lerr);
      res.json(result);
    });
  });
});

router.get('/:id/stats', (req, res, next) => {
  countWords(req.params.id, (err, stats) => {
    if (err && err.code === 'ENOENT') return notFound(res, req.params.id);
    if (err) return next(err);
    res.json(stats);
  });
});

// POST /books?title=... with the text as a text/plain body
router.post('/', express.text({ limit: '5mb' }), (req, res, next) => {
  const title = String(req.query.title || '').trim();
  if (!title || !library.slugify(title)) return res.status(400).json({ error: 'title query parameter is required' });
  if (typeof req.body !== 'string' || req.body.length === 0) return res.status(400).json({ error: 'send the text as text/plain' });
  library.addBook(title, req.body, (err, id) => {
    if (err && err.code === 'EEXIST') return res.status(409).json({ error: `book ${id} already exists` });
    if (err) return next(err);
    res.status(201).json({ id, title, bytes: Buffer.byteLength(req.body) });
  });
});

router.delete('/:id', (req, res, next) => {
  const id = req.params.id;
  library.removeBook(id, (err) => {
    if (err && err.code === 'ENOENT') return notFound(res, id);
    if (err) return next(err);
    forgetWords(id);
    res.status(204).end();
  });
});

module.exports = { router };
