/**
 * Baseline 2 of the paper's §IV-E2: a batching proxy at the edge. Reads go to the cloud at once;
 * writes are queued and sent to the cloud in batches, so the client does not wait for the WAN.
 *
 * Behaviour:
 * - GET/HEAD/OPTIONS are forwarded to the cloud immediately and answered with the cloud's reply.
 * - Any other request is buffered and answered at once with `202 Accepted` and the JSON body
 *   `{"queued":true,"batchSize":n}` — the client never sees the cloud's real answer (e.g. the id of
 *   a created row), which is the price of this baseline.
 * - The queue is flushed every `intervalMs`, or as soon as it holds `maxBatch` writes. A flush
 *   sends the queued writes to the cloud in arrival order, one after the other over one
 *   keep-alive connection (the cloud has no batch endpoint, so a batch saves waiting, not bytes).
 *   One flush runs at a time, so order is preserved across batches. A write the cloud refuses is
 *   counted in `failed` and dropped (there is nobody left to tell).
 * - Reads are not held back for queued writes: a client may read stale data until the next flush.
 * - `close()` flushes what is still queued before it stops.
 */
import http from 'node:http';
import { closeServer, forward, reply, startProxyServer } from './forward.js';

export interface BatchingProxyOptions {
  /** The cloud origin (usually the WAN proxy in front of it). */
  targetUrl: string;
  intervalMs: number;
  maxBatch: number;
  host?: string;
  port?: number;
}

export interface BatchingStats {
  reads: number;
  queued: number;
  sent: number;
  failed: number;
  batches: number;
}

export interface BatchingProxy {
  readonly url: string;
  readonly port: number;
  stats(): BatchingStats;
  /** Sends everything queued now; resolves when the cloud answered all of it. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface Queued {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export async function startBatchingProxy(opts: BatchingProxyOptions): Promise<BatchingProxy> {
  const origin = new URL(opts.targetUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const writer = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const stats: BatchingStats = { reads: 0, queued: 0, sent: 0, failed: 0, batches: 0 };
  let queue: Queued[] = [];
  let flushing: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    // Chain flushes so batches reach the cloud in order, one at a time.
    flushing = flushing.then(async () => {
      if (queue.length === 0) return;
      const batch = queue;
      queue = [];
      stats.batches++;
      for (const w of batch) {
        try {
          const answer = await forward(writer, origin, w.method, w.path, w.headers, w.body);
          if (answer.status < 400) stats.sent++;
          else stats.failed++;
        } catch {
          stats.failed++;
        }
      }
    });
    return flushing;
  };
  const timer = setInterval(() => void flush(), opts.intervalMs);

  const { server, port, url } = await startProxyServer('batching proxy', opts, async ({ method, path, headers, body }, res) => {
    if (READS.has(method)) {
      stats.reads++;
      reply(res, await forward(agent, origin, method, path, headers, body));
      return;
    }
    queue.push({ method, path, headers, body });
    stats.queued++;
    const size = queue.length;
    if (size >= opts.maxBatch) void flush();
    const json = Buffer.from(JSON.stringify({ queued: true, batchSize: size }));
    res.writeHead(202, { 'content-type': 'application/json', 'content-length': String(json.length), 'x-edgstr-batch': 'queued' });
    res.end(json);
  });
  return {
    url,
    port,
    stats: () => ({ ...stats }),
    flush,
    close: async () => {
      clearInterval(timer);
      await closeServer(server);
      await flush();
      agent.destroy();
      writer.destroy();
    },
  };
}
