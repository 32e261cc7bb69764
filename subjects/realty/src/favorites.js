// Favorites are one small JSON file per user: data/favorites/<user>.json, an array of property
// ids. Writes go to a temporary file that is renamed over the old one, so a reader never sees
// half a file.
import fs from 'node:fs';
import path from 'node:path';
import { dataDir } from './db.js';

export const favoritesDir = path.join(dataDir, 'favorites');

const SEED = { alice: [1, 4], bob: [2] };

export function seedFavorites() {
  if (fs.existsSync(favoritesDir)) return;
  fs.mkdirSync(favoritesDir, { recursive: true });
  for (const [user, ids] of Object.entries(SEED)) {
    fs.writeFileSync(path.join(favoritesDir, `${user}.json`), JSON.stringify(ids));
  }
}

export function isValidUser(user) {
  return /^[a-z0-9_-]{1,32}$/.test(user);
}

export function readFavorites(user) {
  const file = path.join(favoritesDir, `${user}.json`);
  return new Promise((resolve, reject) => {
    fs.readFile(file, 'utf8', (err, text) => {
      if (err && err.code === 'ENOENT') return resolve([]);
      if (err) return reject(err);
      resolve(JSON.parse(text));
    });
  });
}

export async function writeFavorites(user, ids) {
  const file = path.join(favoritesDir, `${user}.json`);
  const tmp = `${file}.tmp`;
  await fs.promises.writeFile(tmp, JSON.stringify(ids));
  await fs.promises.rename(tmp, file);
}
