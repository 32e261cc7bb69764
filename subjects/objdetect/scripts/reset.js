// Back to the initial state: the detection history (SQLite) lives in data/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dataDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'data');
fs.rmSync(dataDir, { recursive: true, force: true });
console.log(`removed ${dataDir}`);
