// /brokers: brokers and the properties they list.
import express from 'express';
import { db, all, get, run } from '../db.js';

export const brokersRouter = express.Router();

brokersRouter.get('/', (req, res, next) => {
  const sql = `SELECT b.id, b.name, b.agency, COUNT(p.id) AS listings
    FROM brokers b LEFT JOIN properties p ON p.broker_id = b.id
    GROUP BY b.id ORDER BY b.id`;
  db.all(sql, (err, rows) => {
    if (err) return next(err);
    res.json({ brokers: rows });
  });
});

brokersRouter.get('/:id', async (req, res) => {
  const id = Number(req.params.id);
  const broker = await get('SELECT id, name, agency, phone FROM brokers WHERE id = ?', [id]);
  if (!broker) return res.status(404).json({ error: 'broker not found' });
  const listings = await all('SELECT id, title, city, price FROM properties WHERE broker_id = ? ORDER BY id', [id]);
  res.json({ ...broker, listings });
});

brokersRouter.post('/', async (req, res) => {
  const { name, agency, phone } = req.body ?? {};
  if (![name, agency, phone].every((v) => typeof v === 'string' && v.trim() !== '')) {
    return res.status(400).json({ error: 'name, agency and phone are required' });
  }
  const { lastID } = await run('INSERT INTO brokers (name, agency, phone) VALUES (?, ?, ?)', [name, agency, phone]);
  res.status(201).json({ id: lastID, name, agency, phone });
});
