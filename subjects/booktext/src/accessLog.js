// One line per book read, appended to data/access.log.
const fs = require('fs');
const path = require('path');
const { DATA_DIR } = require('./library');

const LOG_FILE = path.join(DATA_DIR, 'access.log');

function logAccess(what, id, callback) {
  fs.appendFile(LOG_FILE, `${what} ${id}\n`, callback);
}

function readLog(limit, callback) {
  fs.readFile(LOG_FILE, 'utf8', (err, text) => {
    if (err && err.code === 'ENOENT') return callback(null, { total: 0, lines: [] });
    if (err) return callback(err);
    const lines = text.split('\n').filter(Boolean);
    callback(null, { total: lines.length, lines: lines.slice(-limit) });
  });
}

module.exports = { logAccess, readLog };
