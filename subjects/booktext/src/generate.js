// Generates the seed library: deterministic pseudo-English text from a seeded PRNG, so every
// fresh start (and every reset) produces byte-identical books.
const fs = require('fs');
const path = require('path');

const CATALOGUE = [
  { id: 'the-silent-harbor', title: 'The Silent Harbor', seed: 11, bytes: 120_000 },
  { id: 'a-garden-of-iron', title: 'A Garden of Iron', seed: 23, bytes: 310_000 },
  { id: 'letters-from-the-salt-road', title: 'Letters from the Salt Road', seed: 37, bytes: 640_000 },
  { id: 'the-clockmakers-daughter', title: "The Clockmaker's Daughter", seed: 41, bytes: 950_000 },
  { id: 'winter-on-the-meridian', title: 'Winter on the Meridian', seed: 53, bytes: 1_400_000 },
  { id: 'an-atlas-of-small-hours', title: 'An Atlas of Small Hours', seed: 67, bytes: 1_950_000 },
];

const SYLLABLES = ['an', 'ber', 'cal', 'dor', 'el', 'fen', 'gar', 'hol', 'in', 'jor', 'ka', 'lin', 'mor',
  'nel', 'or', 'pen', 'quil', 'ra', 'sol', 'tor', 'ul', 'ven', 'wyn', 'yar', 'zel'];
const COMMON = ['the', 'and', 'of', 'to', 'a', 'in', 'was', 'he', 'she', 'it', 'that', 'with', 'for', 'on', 'her', 'his'];

// mulberry32: tiny, fast, good enough for filler text
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeText(title, seed, bytes) {
  const rand = prng(seed);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const word = () => {
    if (rand() < 0.45) return pick(COMMON);
    let w = '';
    const n = 1 + Math.floor(rand() * 3);
    for (let i = 0; i < n; i++) w += pick(SYLLABLES);
    return w;
  };
  const parts = [`Title: ${title}\n\n`];
  let size = parts[0].length;
  while (size < bytes) {
    const words = [];
    const sentences = 3 + Math.floor(rand() * 5);
    for (let s = 0; s < sentences; s++) {
      const len = 5 + Math.floor(rand() * 12);
      const sentence = [];
      for (let i = 0; i < len; i++) sentence.push(word());
      sentence[0] = sentence[0][0].toUpperCase() + sentence[0].slice(1);
      words.push(`${sentence.join(' ')}.`);
    }
    const paragraph = `${words.join(' ')}\n\n`;
    parts.push(paragraph);
    size += paragraph.length;
  }
  return parts.join('').slice(0, bytes);
}

// Writes every catalogue book that is missing, then calls back.
function ensureLibrary(booksDir, callback) {
  fs.mkdir(booksDir, { recursive: true }, (err) => {
    if (err) return callback(err);
    let pending = CATALOGUE.length;
    let failed = false;
    for (const book of CATALOGUE) {
      const file = path.join(booksDir, `${book.id}.txt`);
      fs.access(file, (missing) => {
        const done = (werr) => {
          if (failed) return;
          if (werr) {
            failed = true;
            return callback(werr);
          }
          if (--pending === 0) callback(null);
        };
        if (!missing) return done(null);
        fs.writeFile(file, makeText(book.title, book.seed, book.bytes), done);
      });
    }
  });
}

module.exports = { CATALOGUE, ensureLibrary, makeText };
