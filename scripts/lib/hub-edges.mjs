// A worker of bench-hub.mjs: several edges in one process. Each edge is a real runtime replica
// (startReplica, role edge, no app) with its own data dir, its own copy of the snapshot and its
// own socket.io connection to the hub, named as an operator would name it (pi-kitchen-07). The
// worker writes as an edge's app would: each write in its own local transaction
// (replica.begin -> SQL on the app's own connection -> commit), at a steady rate per edge.
//
// Writes: mostly inserts into `orders` under the edge's own keys; every `sharedEvery`-th write
// updates a shared donut row instead (last writer wins), and every `globalEvery`-th write also
// increments the replicated `sold` counter. Arrivals: every `pollMs` each edge reads the orders
// that arrived since its last look (by rowid) and notes, per order written elsewhere, when it
// saw it; the worker keeps, per order, the latest of its edges' arrivals and how many saw it.
//
//   node scripts/lib/hub-edges.mjs <worker-name>       (forked by bench-hub.mjs)
import Database from 'better-sqlite3';
import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { startReplica } from '../../dist/runtime/index.js';
import { serveRequests } from './hub-procs.mjs';
import { SHARED_ROWS, nowMs, replicaConfig } from './hub-state.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const edges = [];
/** Order id -> [latest arrival lag over this worker's edges (ms), how many of them saw it]. */
const arrivals = new Map();
const counts = { inserts: 0, updates: 0, increments: 0, errors: 0, errorSamples: [] };
let pollTimer;

async function startEdge({ name, dir, seed, hubUrl, secret, flushIntervalMs }) {
  const root = path.join(dir, 'app');
  mkdirSync(root, { recursive: true });
  const dbFile = path.join(root, 'donuts.db');
  cpSync(seed, dbFile);
  const edge = { name, sold: 0, seq: 0, lastRowid: 0, timer: null };
  edge.replica = await startReplica(replicaConfig({ role: 'edge', nodeId: name, secret, dataDir: path.join(dir, 'edgstr-data'), dbFile, root, cloudUrl: hubUrl, flushIntervalMs }));
  edge.replica.registerGlobal('sold', () => edge.sold, (v) => {
    edge.sold = v;
  });
  edge.db = new Database(dbFile);
  edge.db.pragma('busy_timeout = 5000');
  edge.insert = edge.db.prepare('INSERT INTO orders (id, edge, donut_id, qty, placed_at, note) VALUES (?, ?, ?, ?, ?, ?)');
  edge.update = edge.db.prepare('UPDATE donuts SET stock = ?, price_cents = price_cents WHERE id = ?');
  edge.arrived = edge.db.prepare('SELECT rowid AS r, id, edge, placed_at AS t FROM orders WHERE rowid > ? ORDER BY rowid');
  edges.push(edge);
  return edge;
}

/** One write of `edge` in its own local transaction, as the generated edge serves a request. */
async function write(edge, { sharedEvery, globalEvery }) {
  const n = ++edge.seq;
  const tx = await edge.replica.begin();
  try {
    if (sharedEvery > 0 && n % sharedEvery === 0) {
      edge.update.run(Math.floor(Math.random() * 100), 1 + (n % SHARED_ROWS));
      counts.updates++;
    } else {
      edge.insert.run(`${edge.name}:${n}`, edge.name, 1 + (n % SHARED_ROWS), 1 + (n % 3), nowMs(), `order ${n} of ${edge.name}: one dozen, boxed`);
      counts.inserts++;
    }
    if (globalEvery > 0 && n % globalEvery === 0) {
      edge.sold++;
      counts.increments++;
    }
    await tx.commit();
  } catch (err) {
    await tx.rollback().catch(() => {});
    counts.errors++;
    if (counts.errorSamples.length < 5) counts.errorSamples.push(`${edge.name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function pollArrivals() {
  const now = nowMs();
  for (const edge of edges) {
    for (const row of edge.arrived.all(edge.lastRowid)) {
      edge.lastRowid = row.r;
      if (row.edge === edge.name) continue;
      const a = arrivals.get(row.id);
      const lag = now - row.t;
      if (a) {
        a[0] = Math.max(a[0], lag);
        a[1]++;
      } else arrivals.set(row.id, [lag, 1]);
    }
  }
}

serveRequests({
  /** Starts the given edges (a few at a time) and waits until each is caught up with the hub. */
  start: async ({ edges: specs, concurrency }) => {
    for (let i = 0; i < specs.length; i += concurrency) await Promise.all(specs.slice(i, i + concurrency).map(startEdge));
    const t0 = Date.now();
    while (!edges.every((e) => e.replica.health().caughtUp)) {
      if (Date.now() - t0 > 120_000) throw new Error(`not caught up after 120 s: ${edges.filter((e) => !e.replica.health().caughtUp).map((e) => e.name).join(', ')}`);
      await sleep(100);
    }
    return { started: edges.length };
  },
  /** Writes at `rate` per edge per second for `seconds`, each edge from a random phase. */
  run: async ({ rate, seconds, pollMs, sharedEvery, globalEvery }) => {
    const period = 1000 / rate;
    pollTimer = setInterval(pollArrivals, pollMs);
    const until = Date.now() + seconds * 1000;
    await Promise.all(edges.map(async (edge) => {
      await sleep(Math.random() * period);
      // Scheduled from the start, not from the previous write's end: a slow write does not
      // lower the rate (the writes of one edge still never overlap, as a served request holds
      // the replica's lock).
      for (let next = Date.now(); next < until; next += period) {
        await write(edge, { sharedEvery, globalEvery });
        const wait = next + period - Date.now();
        if (wait > 0) await sleep(wait);
      }
    }));
    return { stoppedAt: Date.now(), ...counts };
  },
  /** Each edge's digests and heads (health ?docs), its order count, sync peers and sold counter. */
  state: async () => {
    pollArrivals();
    return {
      edges: edges.map((e) => {
        const h = e.replica.health({ docs: true });
        return { name: e.name, docs: h.docs, orders: e.db.prepare('SELECT count(*) AS n FROM orders').get().n, peers: h.peers.length, sold: e.sold, pending: h.pendingChanges, rangeIndex: h.rangeIndex };
      }),
    };
  },
  /** Per order written elsewhere: the latest arrival at this worker's edges and how many saw it. */
  arrivals: async () => {
    pollArrivals();
    clearInterval(pollTimer);
    return { arrivals: [...arrivals].map(([id, [lag, n]]) => [id, Math.round(lag * 10) / 10, n]) };
  },
}, async () => {
  clearInterval(pollTimer);
  for (const e of edges) {
    await e.replica.close().catch(() => {});
    e.db.close();
  }
});
process.send({ type: 'ready' });
