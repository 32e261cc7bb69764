// Curio: a small shop catalogue. Items live in a SQLite file, their photos in uploads/.
// Run it from this folder: `node curio.js` (it listens on port 3000).
const express = require('express');
const fs = require('fs');
const path = require('path');
const Database = require('better-sqlite3');

const app = express();
app.use(express.json({ limit: '1mb' }));

fs.mkdirSync('data', { recursive: true });
const db = new Database('data/curio.db');
db.exec(`CREATE TABLE IF NOT EXISTS items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  price INTEGER NOT NULL,
  favorite INTEGER NOT NULL DEFAULT 0,
  photo TEXT
)`);

// First start: the demo catalogue, with the sample photos copied to where photos are served from.
const { n } = db.prepare('SELECT COUNT(*) AS n FROM items').get();
if (n === 0) {
  const add = db.prepare('INSERT INTO items (name, price, favorite, photo) VALUES (?, ?, ?, ?)');
  add.run('Brass desk lamp', 4500, 1, 'lamp.svg');
  add.run('Mantel clock', 12000, 0, 'clock.svg');
  add.run('Blue glass vase', 3200, 1, 'vase.svg');
  add.run('Tin robot', 1800, 0, null);
  fs.mkdirSync('uploads', { recursive: true });
  for (const file of fs.readdirSync('samples')) {
    fs.copyFileSync(path.join('samples', file), path.join('uploads', file));
  }
}

function present(item) {
  return {
    id: item.id,
    name: item.name,
    price: item.price,
    favorite: item.favorite === 1,
    href: `/items/${item.id}`,
    photo: item.photo ? `/uploads/${item.photo}` : null,
  };
}

app.get('/notice', (req, res) => {
  res.type('text/plain').send(fs.readFileSync('content/notice.txt', 'utf8'));
});

app.get('/items', (req, res) => {
  const items = db.prepare('SELECT * FROM items ORDER BY id').all();
  res.json(items.map(present));
});

app.get('/items/favorites', (req, res) => {
  const items = db.prepare('SELECT * FROM items WHERE favorite = 1 ORDER BY id').all();
  res.json({ count: items.length, items: items.map(present) });
});

app.get('/items/:id', (req, res) => {
  const item = db.prepare('SELECT * FROM items WHERE id = ?').get(req.params.id);
  if (!item) return res.status(404).json({ error: 'no such item' });
  res.json(present(item));
});

app.post('/items', (req, res) => {
  const { name, price } = req.body;
  if (typeof name !== 'string' || !name.trim() || !Number.isInteger(price) || price < 0) {
    return res.status(400).json({ error: 'give a name and a price in cents' });
  }
  const info = db.prepare('INSERT INTO items (name, price) VALUES (?, ?)').run(name.trim(), price);
  res.status(201).json(present({ id: Number(info.lastInsertRowid), name: name.trim(), price, favorite: 0, photo: null }));
});

app.put('/items/:id/favorite', (req, res) => {
  const favorite = req.body.favorite ? 1 : 0;
  const info = db.prepare('UPDATE items SET favorite = ? WHERE id = ?').run(favorite, req.params.id);
  if (info.changes === 0) return res.status(404).json({ error: 'no such item' });
  res.json({ id: Number(req.params.id), favorite: favorite === 1, href: `/items/${req.params.id}` });
});

app.post('/items/:id/photo', (req, res) => {
  const item = db.prepare('SELECT id FROM items WHERE id = ?').get(req.params.id);
  if (!item) return res.status(404).json({ error: 'no such item' });
  const { filename, data } = req.body;
  if (typeof filename !== 'string' || !/^[\w-]+\.(svg|png|jpg)$/.test(filename) || typeof data !== 'string') {
    return res.status(400).json({ error: 'give a filename (name.svg|png|jpg) and base64 data' });
  }
  const stored = `item-${item.id}-${filename}`;
  fs.writeFileSync(path.join('uploads', stored), Buffer.from(data, 'base64'));
  db.prepare('UPDATE items SET photo = ? WHERE id = ?').run(stored, item.id);
  res.status(201).json({ id: item.id, photo: `/uploads/${stored}`, href: `/items/${item.id}` });
});

app.get('/uploads/:file', (req, res) => {
  res.sendFile(req.params.file, { root: 'uploads' }, (err) => {
    if (err && !res.headersSent) res.status(404).json({ error: 'no such photo' });
  });
});

app.listen(3000, () => {
  console.log('curio listening on http://localhost:3000');
});
