// Returns the book service to its initial state: books, bookmarks and the access log are
// removed; the next start regenerates the seed library (deterministically).
const fs = require('fs');
const path = require('path');

fs.rmSync(path.join(__dirname, '..', 'data'), { recursive: true, force: true });
console.error('booktext: data/ removed; the next start regenerates it');
