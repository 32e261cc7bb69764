'use strict';
// The prediction log. Callback style, like the sqlite3 driver underneath.

function toPrediction(row) {
  return {
    id: row.id, inputHash: row.input_hash, digit: row.digit, confidence: row.confidence,
    label: row.label, source: row.source,
    ...(row.corrections !== undefined ? { corrections: row.corrections } : {}),
  };
}

function insertPrediction(db, p, callback) {
  db.run('INSERT INTO predictions (input_hash, digit, confidence, label, source) VALUES (?, ?, ?, NULL, ?)',
    [p.inputHash, p.digit, p.confidence, p.source],
    function inserted(err) {
      callback(err, err ? undefined : this.lastID);
    });
}

function listPredictions(db, { limit, digit }, callback) {
  db.all('SELECT id, input_hash, digit, confidence, label, source FROM predictions WHERE (? IS NULL OR digit = ?) ORDER BY id DESC LIMIT ?',
    [digit, digit, limit], (err, rows) => callback(err, rows && rows.map(toPrediction)));
}

function findPrediction(db, id, callback) {
  db.get(`SELECT p.id, p.input_hash, p.digit, p.confidence, p.label, p.source,
            (SELECT COUNT(*) FROM feedback f WHERE f.prediction_id = p.id) AS corrections
          FROM predictions p WHERE p.id = ?`,
  [id], (err, row) => callback(err, row && toPrediction(row)));
}

// Removes the prediction and its feedback; calls back with whether the prediction existed.
function deletePrediction(db, id, callback) {
  db.serialize(() => {
    db.run('DELETE FROM feedback WHERE prediction_id = ?', [id]);
    db.run('DELETE FROM predictions WHERE id = ?', [id], function deleted(err) {
      callback(err, err ? undefined : this.changes > 0);
    });
  });
}

// Records a label correction, but only for a prediction that exists.
function correctLabel(db, id, label, note, callback) {
  db.get('SELECT id, digit FROM predictions WHERE id = ?', [id], (err, row) => {
    if (err) return callback(err);
    if (!row) return callback(null, null);
    db.run('UPDATE predictions SET label = ? WHERE id = ?', [label, id], (updateErr) => {
      if (updateErr) return callback(updateErr);
      db.run('INSERT INTO feedback (prediction_id, label, note) VALUES (?, ?, ?)', [id, label, note], function added(insertErr) {
        callback(insertErr, insertErr ? undefined : { feedbackId: this.lastID, predicted: row.digit, label });
      });
    });
  });
}

module.exports = { insertPrediction, listPredictions, findPrediction, deletePrediction, correctLabel };
