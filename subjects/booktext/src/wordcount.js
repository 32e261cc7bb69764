// Word statistics are expensive on a 2 MB book, so results are kept per book id.
const fs = require('fs');
const { bookFile } = require('./library');

const wordCounts = new Map();

function countWords(id, callback) {
  if (wordCounts.has(id)) return callback(null, wordCounts.get(id));
  fs.readFile(bookFile(id), 'utf8', (err, text) => {
    if (err) return callback(err);
    const freq = new Map();
    let words = 0;
    for (const w of text.toLowerCase().match(/[a-z']+/g) || []) {
      words++;
      freq.set(w, (freq.get(w) || 0) + 1);
    }
    const top = [...freq.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 5);
    const stats = { id, words, distinct: freq.size, top: top.map(([word, count]) => ({ word, count })) };
    wordCounts.set(id, stats);
    callback(null, stats);
  });
}

function forgetWords(id) {
  wordCounts.delete(id);
}

module.exports = { countWords, forgetWords };
