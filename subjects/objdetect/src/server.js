import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from './app.js';

const PORT = Number(process.env.PORT ?? 3107);
const DATA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'data');

fs.mkdirSync(DATA_DIR, { recursive: true });
const app = buildApp({ dbFile: path.join(DATA_DIR, 'detections.db') });

try {
  await app.listen({ port: PORT, host: '0.0.0.0' });
  console.log(`objdetect listening on http://localhost:${app.server.address().port}`);
} catch (err) {
  console.error(err);
  process.exit(1);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    app.close().then(() => process.exit(0));
  });
}
