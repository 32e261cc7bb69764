// sqlite3 (callback API). Small promise helpers for the places that prefer await.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sqlite3 from 'sqlite3';

export const dataDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'data');
fs.mkdirSync(dataDir, { recursive: true });

export const db = new sqlite3.Database(path.join(dataDir, 'realty.db'));

export function all(sql, params = []) {
  return new Promise((resolve, reject) => {
    db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows)));
  });
}

export function get(sql, params = []) {
  return new Promise((resolve, reject) => {
    db.get(sql, params, (err, row) => (err ? reject(err) : resolve(row)));
  });
}

// Resolves with { lastID, changes } (sqlite3 puts them on `this` of the callback).
export function run(sql, params = []) {
  return new Promise((resolve, reject) => {
    db.run(sql, params, function onRun(err) {
      if (err) reject(err);
      else resolve({ lastID: this.lastID, changes: this.changes });
    });
  });
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS brokers (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, agency TEXT NOT NULL, phone TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS properties (
    id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, city TEXT NOT NULL,
    price INTEGER NOT NULL, bedrooms INTEGER NOT NULL, broker_id INTEGER);
  CREATE TABLE IF NOT EXISTS likes (
    property_id INTEGER NOT NULL, user TEXT NOT NULL, PRIMARY KEY (property_id, user));
`;

const BROKERS = [
  ['Marta Sousa', 'Casa Lusa', '+351 210 000 001'],
  ['Rui Almeida', 'Atlantic Homes', '+351 220 000 002'],
  ['Inês Costa', 'Algarve Prime', '+351 289 000 003'],
];
const PROPERTIES = [
  ['Sunny flat in Alfama', 'Lisbon', 420000, 2, 1],
  ['Loft near Cais do Sodré', 'Lisbon', 385000, 1, 1],
  ['Family house in Belém', 'Lisbon', 890000, 4, 1],
  ['Ribeira riverside apartment', 'Porto', 310000, 2, 2],
  ['Boavista townhouse', 'Porto', 560000, 3, 2],
  ['Studio by the Bolhão market', 'Porto', 175000, 1, 2],
  ['Villa with pool', 'Faro', 1250000, 5, 3],
  ['Old town cottage', 'Faro', 265000, 2, 3],
];
const LIKES = [[1, 'alice'], [1, 'bob'], [4, 'alice'], [7, 'carol']];

// Creates and seeds the database on first start; the callbacks run in order under serialize().
export function initDb(callback) {
  db.get("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'properties'", (err, row) => {
    if (err) return callback(err);
    if (row) return callback(null);
    db.serialize(() => {
      db.exec(SCHEMA);
      const broker = db.prepare('INSERT INTO brokers (name, agency, phone) VALUES (?, ?, ?)');
      BROKERS.forEach((b) => broker.run(b));
      broker.finalize();
      const property = db.prepare('INSERT INTO properties (title, city, price, bedrooms, broker_id) VALUES (?, ?, ?, ?, ?)');
      PROPERTIES.forEach((p) => property.run(p));
      property.finalize();
      const like = db.prepare('INSERT INTO likes (property_id, user) VALUES (?, ?)');
      LIKES.forEach((l) => like.run(l));
      like.finalize(callback);
    });
  });
}
