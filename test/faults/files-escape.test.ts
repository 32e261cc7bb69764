/**
 * CRDT-Files from the wire (DESIGN.md §4): a peer with the right token sends the cloud hub a
 * real Automerge change of the files document holding one path inside the replicated root
 * (control: it must arrive) and paths that escape it ('../', absolute, '..' inside). The
 * escaping ones are never written; the hub keeps serving. The runtime's unit test
 * test/runtime/file-crdt.test.ts covers the same refusal, symlinks included, in-process.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as A from '@automerge/automerge';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { genesisChanges, type DocRoot } from '../../src/runtime/doc-store.js';
import { buildLedger, makeScratch, removeScratch, startCluster, type Cluster } from './harness.js';
import { request, waitUntil } from './http.js';

const scratch = makeScratch();
let cluster: Cluster | null = null;
let secret = '';

beforeAll(async () => {
  const out = await buildLedger();
  secret = (JSON.parse(readFileSync(join(out, 'cloud', 'config.json'), 'utf8')) as { secret: string }).secret;
  cluster = await startCluster(out, scratch, 1);
}, 300_000);

afterAll(async () => {
  await cluster?.destroy();
  removeScratch(scratch);
});

it('refuses remote file changes whose path escapes the replicated root, applies the one inside', async () => {
  const { cloud, edges } = cluster!;
  const stamp = `${process.pid}-${Date.now()}`;
  const absolute = join(tmpdir(), `edgstr-escape-${stamp}.txt`);
  const entry = (text: string): { data: Uint8Array; hash: string } => {
    const data = new Uint8Array(Buffer.from(text));
    return { data, hash: createHash('sha256').update(data).digest('hex') };
  };
  let doc = A.init<DocRoot>();
  [doc] = A.applyChanges(doc, genesisChanges('files', (d) => {
    d.files = {};
  }));
  doc = A.change(doc, (d) => {
    const files = d.files as Record<string, unknown>;
    files['data/files/wire.txt'] = entry('arrived over the wire');
    files[`../escape-${stamp}.txt`] = entry('escaped');
    files[`data/files/../../../escape2-${stamp}.txt`] = entry('escaped');
    files[absolute] = entry('escaped');
  });

  const socket = io(cloud.url, { path: '/edgstr-sync', auth: { token: secret, nodeId: 'wire-peer' }, reconnection: false, transports: ['websocket'] });
  try {
    let state = A.initSyncState();
    const pump = (): void => {
      const [next, msg] = A.generateSyncMessage(doc, state);
      state = next;
      if (msg) socket.emit('edgstr', { type: 'sync', docId: 'files', data: msg });
    };
    socket.on('edgstr', (raw: { type?: string; docId?: string; data?: Uint8Array }) => {
      if (raw.type !== 'sync' || raw.docId !== 'files' || !raw.data) return;
      [doc, state] = A.receiveSyncMessage(doc, state, new Uint8Array(raw.data));
      pump();
    });
    await new Promise<void>((resolve, reject) => {
      socket.on('connect', () => resolve());
      socket.on('connect_error', reject);
    });
    pump();
    // Control: the path inside the root arrives at the cloud and at the edge.
    for (const n of [cloud, edges[0]!]) {
      await waitUntil(`wire.txt at ${n.name}`, async () => (await request(`${n.url}/files/wire`)).body === 'arrived over the wire', 15_000);
    }
  } finally {
    socket.close();
  }
  for (const n of [cloud, edges[0]!]) {
    const root = n.appDir;
    for (const p of [join(dirname(root), `escape-${stamp}.txt`), join(dirname(dirname(root)), `escape2-${stamp}.txt`), absolute]) {
      expect(existsSync(p), `${n.name} wrote ${p}`).toBe(false);
    }
  }
  expect((await request(`${cloud.url}/__edgstr/health`)).status).toBe(200);
}, 120_000);
