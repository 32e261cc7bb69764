/**
 * A write load against one replica: a loop of POST /items, with a POST /hits and a PUT /files/...
 * now and then, recording what was acknowledged (2xx). It stops at the first failure (the
 * replica was killed) or when asked.
 */
import { request, type Item } from './http.js';

export interface Acked {
  items: Item[];
  /** POST /hits answered 2xx. */
  hits: number;
  /** POST /hits sent (acknowledged or not). */
  hitsSent: number;
  /** Last acknowledged text of each file written. */
  files: Map<string, string>;
  /**
   * Last text sent for each file, acknowledged or not: a write the kill cut off after it reached
   * the disk but before its answer left may survive (it was never acknowledged, so either is right).
   */
  filesSent: Map<string, string>;
  errors: string[];
}

export interface Load {
  stop(): Promise<Acked>;
  stopAfter(ms: number): Promise<Acked>;
}

export function writeLoad(base: string, tag: string, opts: { hits?: boolean; files?: boolean } = {}): Load {
  const acked: Acked = { items: [], hits: 0, hitsSent: 0, files: new Map(), filesSent: new Map(), errors: [] };
  let running = true;
  const loop = (async () => {
    for (let n = 0; running; n++) {
      try {
        const name = `${tag}-${n}`;
        const answer = await request(`${base}/items`, 'POST', { name, qty: n }, 3_000);
        if (answer.status !== 201) throw new Error(`POST /items -> ${answer.status}`);
        acked.items.push(answer.body as Item);
        if (opts.hits !== false && n % 3 === 0) {
          acked.hitsSent++;
          const h = await request(`${base}/hits`, 'POST', undefined, 3_000);
          if (h.status !== 200) throw new Error(`POST /hits -> ${h.status}`);
          acked.hits++;
        }
        if (opts.files !== false && n % 5 === 0) {
          const file = `${tag}-f${n % 4}`;
          const text = `${name} wrote this`;
          acked.filesSent.set(file, text);
          const f = await request(`${base}/files/${file}`, 'PUT', { text }, 3_000);
          if (f.status !== 200) throw new Error(`PUT /files -> ${f.status}`);
          acked.files.set(file, text);
        }
      } catch (err: unknown) {
        acked.errors.push(err instanceof Error ? err.message : String(err));
        return;
      }
    }
  })();
  const stop = async (): Promise<Acked> => {
    running = false;
    await loop;
    return acked;
  };
  return { stop, stopAfter: async (ms) => (await new Promise((r) => setTimeout(r, ms)), stop()) };
}

/**
 * The texts a file may hold after a kill: its last acknowledged one, or the write in flight — whole,
 * or empty when the kill fell between the app's `writeFileSync` truncating and writing the file
 * (the original app does the same; that write was never acknowledged).
 */
export function fileTextsAllowed(acked: Acked, file: string): string[] {
  const inFlight = acked.filesSent.get(file) !== acked.files.get(file);
  return [acked.files.get(file), acked.filesSent.get(file), ...(inFlight ? [''] : [])].filter((t): t is string => t !== undefined);
}
