// Bookmarks of all readers in one JSON file, { user: { bookId: page } }. Saved by writing a
// temporary file and renaming it over data/bookmarks.json.
const fs = require('fs');
const path = require('path');
const { DATA_DIR } = require('./library');

const BOOKMARKS_FILE = path.join(DATA_DIR, 'bookmarks.json');

function seedBookmarks() {
  if (fs.existsSync(BOOKMARKS_FILE)) return;
  fs.writeFileSync(BOOKMARKS_FILE, JSON.stringify({ ada: { 'the-silent-harbor': 3 } }, null, 2));
}

function readBookmarks(callback) {
  fs.readFile(BOOKMARKS_FILE, 'utf8', (err, text) => {
    if (err && err.code === 'ENOENT') return callback(null, {});
    if (err) return callback(err);
    callback(null, JSON.parse(text));
  });
}

function saveBookmarks(all, callback) {
  const tmp = `${BOOKMARKS_FILE}.tmp`;
  fs.writeFile(tmp, JSON.stringify(all, null, 2), (err) => {
    if (err) return callback(err);
    fs.rename(tmp, BOOKMARKS_FILE, callback);
  });
}

module.exports = { seedBookmarks, readBookmarks, saveBookmarks };
