// Realty REST API (Express 5): properties, brokers, likes and per-user favorites.
import express from 'express';
import { get, initDb } from './db.js';
import { seedFavorites } from './favorites.js';
import { totalLikes } from './likes.js';
import { propertyService } from './PropertyService.js';
import { propertiesRouter } from './routes/properties.js';
import { brokersRouter } from './routes/brokers.js';
import { favoritesRouter } from './routes/favorites.js';

const PORT = Number(process.env.PORT) || 3103;

const app = express();
app.use(express.json());

app.use('/properties', propertiesRouter);
app.use('/brokers', brokersRouter);
app.use('/users', favoritesRouter);

app.get('/stats', async (req, res) => {
  const { n } = await get('SELECT COUNT(*) AS n FROM properties');
  res.json({ properties: n, likesSinceStart: totalLikes, cachedProperties: propertyService.cachedCount() });
});

// Express 5 forwards rejected promises from async handlers here.
app.use((err, req, res, next) => {
  if (err.type === 'entity.parse.failed') return res.status(400).json({ error: 'body is not valid JSON' });
  console.error(err);
  res.status(500).json({ error: 'internal error' });
});

seedFavorites();
initDb((err) => {
  if (err) throw err;
  app.listen(PORT, () => {
    console.log(`realty listening on http://127.0.0.1:${PORT}`);
  });
});
