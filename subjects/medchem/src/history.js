import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DATA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'data');
export const HISTORY_FILE = path.join(DATA_DIR, 'history.jsonl');

export function ensureHistoryFile() {
  fs.mkdirSync(DATA_DIR, { recursive: true });
  if (!fs.existsSync(HISTORY_FILE)) fs.writeFileSync(HISTORY_FILE, '');
}

// One JSON line per answered computation; appends keep the cost flat however long the log is.
export function appendHistory(entry, callback) {
  fs.appendFile(HISTORY_FILE, `${JSON.stringify(entry)}\n`, callback);
}

export async function readHistory(limit) {
  let text;
  try {
    text = await fs.promises.readFile(HISTORY_FILE, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return [];
    throw err;
  }
  const lines = text.split('\n').filter((line) => line.length > 0);
  return lines.slice(Math.max(0, lines.length - limit)).map((line) => JSON.parse(line));
}
