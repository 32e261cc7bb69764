// Returns the realty app to its initial state: database and favorites are re-seeded on the next start.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

fs.rmSync(fileURLToPath(new URL('../data', import.meta.url)), { recursive: true, force: true });
console.error('realty: data/ removed; the next start re-seeds it');
