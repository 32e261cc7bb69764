// Returns the recipe book to its initial state: the database is re-seeded on the next start.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

fs.rmSync(fileURLToPath(new URL('../data', import.meta.url)), { recursive: true, force: true });
console.error('recipebook: data/ removed; the next start re-seeds it');
