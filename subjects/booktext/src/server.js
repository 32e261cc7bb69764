// Book text service (Express 4): large plain-text books, pages, word statistics, bookmarks.
const express = require('express');
const { BOOKS_DIR } = require('./library');
const { ensureLibrary } = require('./generate');
const { seedBookmarks } = require('./bookmarks');
const { readLog } = require('./accessLog');
const books = require('./routes/books');
const bookmarks = require('./routes/bookmarks');

const PORT = Number(process.env.PORT) || 3104;

const app = express();
app.use(express.json());

app.use('/books', books.router);
app.use('/bookmarks', bookmarks.router);

// the last ?limit= lines of the access log
app.get('/access-log', (req, res, next) => {
  const limit = Math.min(Number(req.query.limit) || 20, 500);
  readLog(limit, (err, log) => {
    if (err) return next(err);
    res.json(log);
  });
});

app.use((err, req, res, next) => {
  if (err.type === 'entity.parse.failed') return res.status(400).json({ error: 'body is not valid JSON' });
  if (err.type === 'entity.too.large') return res.status(413).json({ error: 'book too large' });
  console.error(err);
  res.status(500).json({ error: 'internal error' });
});

ensureLibrary(BOOKS_DIR, (err) => {
  if (err) throw err;
  seedBookmarks();
  app.listen(PORT, () => {
    console.log(`booktext listening on http://127.0.0.1:${PORT}`);
  });
});
