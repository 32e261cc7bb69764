// /properties: search, details, CRUD and likes.
import express from 'express';
import { db, all, get, run } from '../db.js';
import { propertyService } from '../PropertyService.js';
import { recordLike } from '../likes.js';

export const propertiesRouter = express.Router();

function propertyFromBody(body) {
  const { title, city, price, bedrooms, broker_id: brokerId = null } = body ?? {};
  if (typeof title !== 'string' || title.trim() === '') return 'title is required';
  if (typeof city !== 'string' || city.trim() === '') return 'city is required';
  if (!Number.isInteger(price) || price <= 0) return 'price must be a positive integer';
  if (!Number.isInteger(bedrooms) || bedrooms < 0) return 'bedrooms must be a non-negative integer';
  return { title: title.trim(), city: city.trim(), price, bedrooms, broker_id: brokerId };
}

// ?city=Lisbon&minPrice=100000&maxPrice=500000
propertiesRouter.get('/', (req, res, next) => {
  const where = [];
  const params = [];
  if (req.query.city) {
    where.push('city = ?');
    params.push(req.query.city);
  }
  for (const [key, op] of [['minPrice', '>='], ['maxPrice', '<=']]) {
    if (req.query[key] === undefined) continue;
    const value = Number(req.query[key]);
    if (!Number.isFinite(value)) return res.status(400).json({ error: `${key} must be a number` });
    where.push(`price ${op} ?`);
    params.push(value);
  }
  const sql = `SELECT id, title, city, price, bedrooms FROM properties
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY price`;
  db.all(sql, params, (err, rows) => {
    if (err) return next(err);
    res.json({ count: rows.length, properties: rows });
  });
});

propertiesRouter.get('/:id', async (req, res) => {
  const property = await propertyService.findDetailed(Number(req.params.id));
  if (!property) return res.status(404).json({ error: 'property not found' });
  res.json(property);
});

propertiesRouter.post('/', async (req, res) => {
  const p = propertyFromBody(req.body);
  if (typeof p === 'string') return res.status(400).json({ error: p });
  const { lastID } = await run(
    'INSERT INTO properties (title, city, price, bedrooms, broker_id) VALUES (?, ?, ?, ?, ?)',
    [p.title, p.city, p.price, p.bedrooms, p.broker_id],
  );
  res.status(201).json({ id: lastID, ...p });
});

propertiesRouter.put('/:id', async (req, res) => {
  const id = Number(req.params.id);
  const p = propertyFromBody(req.body);
  if (typeof p === 'string') return res.status(400).json({ error: p });
  const { changes } = await run(
    'UPDATE properties SET title = ?, city = ?, price = ?, bedrooms = ?, broker_id = ? WHERE id = ?',
    [p.title, p.city, p.price, p.bedrooms, p.broker_id, id],
  );
  if (changes === 0) return res.status(404).json({ error: 'property not found' });
  propertyService.invalidate(id);
  res.json({ id, ...p });
});

// A removed property takes its likes with it.
propertiesRouter.delete('/:id', (req, res, next) => {
  const id = Number(req.params.id);
  db.run('DELETE FROM likes WHERE property_id = ?', [id], (err) => {
    if (err) return next(err);
    db.run('DELETE FROM properties WHERE id = ?', [id], function onDelete(err2) {
      if (err2) return next(err2);
      propertyService.invalidate(id);
      if (this.changes === 0) return res.status(404).json({ error: 'property not found' });
      res.status(204).end();
    });
  });
});

propertiesRouter.get('/:id/likes', async (req, res) => {
  const rows = await all('SELECT user FROM likes WHERE property_id = ? ORDER BY user', [Number(req.params.id)]);
  res.json({ count: rows.length, users: rows.map((r) => r.user) });
});

// Liking twice is harmless: only a new like is counted.
propertiesRouter.post('/:id/likes', async (req, res) => {
  const id = Number(req.params.id);
  const user = req.body?.user;
  if (typeof user !== 'string' || user === '') return res.status(400).json({ error: 'user is required' });
  const exists = await get('SELECT id FROM properties WHERE id = ?', [id]);
  if (!exists) return res.status(404).json({ error: 'property not found' });
  const { changes } = await run('INSERT OR IGNORE INTO likes (property_id, user) VALUES (?, ?)', [id, user]);
  if (changes === 0) return res.json({ liked: false, reason: 'already liked' });
  recordLike();
  propertyService.invalidate(id);
  res.status(201).json({ liked: true });
});

propertiesRouter.delete('/:id/likes/:user', async (req, res) => {
  const id = Number(req.params.id);
  const { changes } = await run('DELETE FROM likes WHERE property_id = ? AND user = ?', [id, req.params.user]);
  if (changes === 0) return res.status(404).json({ error: 'like not found' });
  propertyService.invalidate(id);
  res.status(204).end();
});
