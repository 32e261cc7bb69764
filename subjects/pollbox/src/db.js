const path = require('path');
const fs = require('fs');
const crypto = require('crypto');
const Database = require('better-sqlite3');

const dataDir = path.join(__dirname, '..', 'data');
fs.mkdirSync(dataDir, { recursive: true });

const db = new Database(path.join(dataDir, 'pollbox.db'));
db.pragma('journal_mode = WAL');

db.exec(`
  CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS sessions (
    token TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS polls (
    id TEXT PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES users(id),
    question TEXT NOT NULL,
    closed INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE IF NOT EXISTS choices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    poll_id TEXT NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    label TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS votes (
    poll_id TEXT NOT NULL,
    choice_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    PRIMARY KEY (poll_id, user_id)
  );
`);

function hashPassword(password) {
  return crypto.createHash('sha256').update(`pollbox:${password}`).digest('hex');
}

// first start: two users and one poll to look at
if (db.prepare('SELECT COUNT(*) AS n FROM users').get().n === 0) {
  const addUser = db.prepare('INSERT INTO users (name, password_hash) VALUES (?, ?)');
  addUser.run('alice', hashPassword('wonderland'));
  addUser.run('bob', hashPassword('builder42'));
  db.prepare("INSERT INTO polls (id, owner_id, question) VALUES ('2f0c7d52-8a53-4a4e-9d55-1c6c64bd3e10', 1, 'Tabs or spaces?')").run();
  const addChoice = db.prepare('INSERT INTO choices (poll_id, label) VALUES (?, ?)');
  addChoice.run('2f0c7d52-8a53-4a4e-9d55-1c6c64bd3e10', 'Tabs');
  addChoice.run('2f0c7d52-8a53-4a4e-9d55-1c6c64bd3e10', 'Spaces');
}

module.exports = { db, hashPassword };
