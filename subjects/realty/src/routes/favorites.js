// /users/:user/favorites: a user's saved properties, kept in data/favorites/<user>.json.
import express from 'express';
import { all, get } from '../db.js';
import { isValidUser, readFavorites, writeFavorites } from '../favorites.js';

export const favoritesRouter = express.Router();

favoritesRouter.param('user', (req, res, next, user) => {
  if (!isValidUser(user)) return res.status(400).json({ error: 'user must be 1-32 of a-z, 0-9, _ or -' });
  next();
});

favoritesRouter.get('/:user/favorites', async (req, res) => {
  const ids = await readFavorites(req.params.user);
  const rows = await all(
    `SELECT id, title, city, price FROM properties WHERE id IN (${ids.map(() => '?').join(', ')}) ORDER BY id`,
    ids,
  );
  res.json({ user: req.params.user, favorites: rows });
});

favoritesRouter.put('/:user/favorites/:propertyId', async (req, res) => {
  const id = Number(req.params.propertyId);
  const property = await get('SELECT id FROM properties WHERE id = ?', [id]);
  if (!property) return res.status(404).json({ error: 'property not found' });
  const ids = await readFavorites(req.params.user);
  if (!ids.includes(id)) {
    ids.push(id);
    await writeFavorites(req.params.user, ids);
  }
  res.json({ user: req.params.user, favorites: ids });
});

favoritesRouter.delete('/:user/favorites/:propertyId', async (req, res) => {
  const id = Number(req.params.propertyId);
  const ids = await readFavorites(req.params.user);
  if (!ids.includes(id)) return res.status(404).json({ error: 'not a favorite' });
  await writeFavorites(req.params.user, ids.filter((x) => x !== id));
  res.status(204).end();
});
