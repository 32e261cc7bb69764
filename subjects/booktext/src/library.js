// The book store: one text file per book in data/books/<id>.txt whose first line is
// "Title: <title>". All callback-style fs.
const fs = require('fs');
const path = require('path');

const DATA_DIR = path.join(__dirname, '..', 'data');
const BOOKS_DIR = path.join(DATA_DIR, 'books');
const PAGE_SIZE = 4000;

function isValidId(id) {
  return /^[a-z0-9-]{1,60}$/.test(id);
}

function bookFile(id) {
  return path.join(BOOKS_DIR, `${id}.txt`);
}

function slugify(title) {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

// [{ id, bytes }] for every book, sorted by id.
function listBooks(callback) {
  fs.readdir(BOOKS_DIR, (err, names) => {
    if (err) return callback(err);
    const ids = names.filter((n) => n.endsWith('.txt')).map((n) => n.slice(0, -4)).sort();
    const books = [];
    let pending = ids.length;
    if (pending === 0) return callback(null, books);
    ids.forEach((id, i) => {
      fs.stat(bookFile(id), (serr, st) => {
        if (!serr) books[i] = { id, bytes: st.size };
        if (--pending === 0) callback(null, books.filter(Boolean));
      });
    });
  });
}

// Size and title without reading the whole (possibly 2 MB) file.
function readMeta(id, callback) {
  fs.stat(bookFile(id), (err, st) => {
    if (err) return callback(err);
    fs.open(bookFile(id), 'r', (oerr, fd) => {
      if (oerr) return callback(oerr);
      const head = Buffer.alloc(200);
      fs.read(fd, head, 0, head.length, 0, (rerr, n) => {
        fs.close(fd, () => {
          if (rerr) return callback(rerr);
          const firstLine = head.toString('utf8', 0, n).split('\n')[0];
          const title = firstLine.startsWith('Title: ') ? firstLine.slice(7) : id;
          callback(null, { id, title, bytes: st.size, pages: Math.ceil(st.size / PAGE_SIZE) });
        });
      });
    });
  });
}

function readPage(id, page, callback) {
  fs.readFile(bookFile(id), 'utf8', (err, text) => {
    if (err) return callback(err);
    const pages = Math.ceil(text.length / PAGE_SIZE);
    if (page > pages) return callback(null, null);
    callback(null, { id, page, pages, text: text.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE) });
  });
}

// Never overwrites: a second book with the same title fails with EEXIST.
function addBook(title, text, callback) {
  const id = slugify(title);
  fs.writeFile(bookFile(id), `Title: ${title}\n\n${text}`, { flag: 'wx' }, (err) => callback(err, id));
}

function removeBook(id, callback) {
  fs.unlink(bookFile(id), callback);
}

module.exports = { DATA_DIR, BOOKS_DIR, PAGE_SIZE, isValidId, bookFile, slugify, listBooks, readMeta, readPage, addBook, removeBook };
