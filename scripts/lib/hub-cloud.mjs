// The hub of bench-hub.mjs, in its own process: the real runtime's cloud replica (startReplica,
// role cloud, defaults as a generated cloud runs it) serving the sync hub on its own HTTP
// server on loopback, as the generated cloud's preload does (replica.attachHub). No app runs:
// edges write, the hub relays. It counts the bytes of every TCP connection of its server (the
// sync hub is all that server serves: every byte is sync, socket.io and WebSocket framing
// included) and its event loop's delay, and answers the orchestrator's questions over IPC.
//
//   node scripts/lib/hub-cloud.mjs <dir> <secret>      (forked by bench-hub.mjs)
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as A from '@automerge/automerge';
import { startReplica } from '../../dist/runtime/index.js';
import { serveRequests } from './hub-procs.mjs';
import { replicaConfig } from './hub-state.mjs';

const [dir, secret] = process.argv.slice(2);
const dbFile = path.join(dir, 'app', 'donuts.db');
mkdirSync(path.join(dir, 'edgstr-data'), { recursive: true });

const replica = await startReplica(replicaConfig({ role: 'cloud', nodeId: 'cloud', secret, dataDir: path.join(dir, 'edgstr-data'), dbFile, root: path.join(dir, 'app') }));
let sold = 0;
replica.registerGlobal('sold', () => sold, (v) => {
  sold = v;
});

const server = createServer((_req, res) => {
  res.writeHead(404).end();
});
// Bytes of connections already closed, and the live ones (read when asked).
const live = new Set();
const bytes = { read: 0, written: 0, connections: 0, closed: 0 };
server.on('connection', (socket) => {
  live.add(socket);
  bytes.connections++;
  socket.on('close', () => {
    live.delete(socket);
    bytes.closed++;
    bytes.read += socket.bytesRead;
    bytes.written += socket.bytesWritten;
  });
});
replica.attachHub(server);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

/**
 * What health ?docs answers (table digests, document heads), without the rest of health: its
 * pendingChanges asks Automerge about every peer's sync state, which with a hundred peers is
 * work enough to disturb what is measured (the orchestrator asks every 250 ms while waiting).
 */
function docsOf() {
  const out = {};
  for (const [docId, t] of replica.tableSync.stores) out[docId] = t.digest();
  for (const [docId, a] of replica.adapters) out[docId] = A.getHeads(a.store.doc).sort().join(',');
  return out;
}

serveRequests({
  /** Bytes so far, connections, event-loop delay since the last `stats` (ms), the replica's state. */
  stats: async ({ docs }) => {
    let read = bytes.read;
    let written = bytes.written;
    for (const s of live) {
      read += s.bytesRead;
      written += s.bytesWritten;
    }
    const loop = { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
    delay.reset();
    return {
      bytesRead: read,
      bytesWritten: written,
      connections: bytes.connections,
      closedConnections: bytes.closed,
      peers: replica.peers.size,
      refusedMessages: replica.refusedMessages,
      docs: docs ? docsOf() : null,
      sold,
      loop,
      traffic: { ...replica.traffic },
    };
  },
}, async () => {
  await replica.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
process.send({ type: 'ready', port: server.address().port });
