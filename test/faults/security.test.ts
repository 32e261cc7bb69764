/**
 * Security of the generated ledger app from the outside (DESIGN.md §3 "Generated projects", §4):
 * the sync hub lets in only peers with the shared secret and survives malformed and oversized
 * messages; the edge forwards only to its configured cloud origin (no open proxy, no SSRF).
 * CRDT-Files' refusal of remote paths that escape the replicated root ('../x', absolute paths,
 * symlinks pointing out) is covered by the runtime's unit test
 * test/runtime/file-crdt.test.ts ("refuses remote paths that escape the root, including through a symlink").
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLedger, makeScratch, removeScratch, startCluster, type Cluster } from './harness.js';
import { items, request, sleep, waitUntil } from './http.js';

const scratch = makeScratch();
let cluster: Cluster | null = null;
let secret = '';
let evil: http.Server | null = null;
const evilSeen: string[] = [];
let evilPort = 0;
const sockets: Socket[] = [];

beforeAll(async () => {
  const out = await buildLedger();
  secret = (JSON.parse(readFileSync(join(out, 'cloud', 'config.json'), 'utf8')) as { secret: string }).secret;
  evil = http.createServer((req, res) => {
    evilSeen.push(`${req.method} ${req.url}`);
    res.end('evil');
  });
  evil.on('connect', (req: http.IncomingMessage, socket: net.Socket) => {
    evilSeen.push(`CONNECT ${req.url}`);
    socket.destroy();
  });
  await new Promise<void>((r) => evil!.listen(0, '127.0.0.1', r));
  evilPort = (evil.address() as net.AddressInfo).port;
  cluster = await startCluster(out, scratch, 1);
}, 300_000);

afterAll(async () => {
  sockets.forEach((s) => s.close());
  await cluster?.destroy();
  await new Promise<void>((r) => (evil ? evil.close(() => r()) : r()));
  removeScratch(scratch);
});

function dial(token: string, nodeId: string): Socket {
  const socket = io(cluster!.cloud.url, { path: '/edgstr-sync', auth: { token, nodeId }, reconnection: false, transports: ['websocket'] });
  sockets.push(socket);
  return socket;
}

describe('sync hub', () => {
  it('disconnects a peer with a wrong token at once and sends it nothing', async () => {
    for (const token of ['wrong', secret.slice(0, -1), '', secret + '0']) {
      const socket = dial(token, 'intruder');
      const received: string[] = [];
      socket.onAny((event: string) => received.push(event));
      const outcome = await new Promise<string>((resolve) => {
        socket.on('connect', () => resolve('connected'));
        socket.on('connect_error', (err: Error) => resolve(`refused: ${err.message}`));
      });
      expect(outcome, `token ${JSON.stringify(token.slice(0, 8))}`).toMatch(/^refused/);
      await sleep(300);
      expect(received).toEqual([]);
      expect(socket.connected).toBe(false);
    }
  });

  it('refuses malformed and oversized sync messages and keeps serving', async () => {
    const socket = dial(secret, 'prober');
    await new Promise<void>((resolve, reject) => {
      socket.on('connect', () => resolve());
      socket.on('connect_error', reject);
    });
    const garbage: unknown[] = [
      null,
      'text',
      42,
      { type: 'nope' },
      { type: 'sync', docId: '../../etc/passwd', data: Buffer.from([1, 2, 3]) },
      { type: 'sync', docId: 'files', data: 'not binary' },
      { type: 'sync', docId: 'files', data: Buffer.alloc(0) },
      { type: 'sync', docId: 'files', data: Buffer.from('definitely not an automerge sync message') },
      { type: 'sync', docId: 'db-ledger', data: Buffer.alloc(4096, 0x42) },
      { type: 'hello', heads: { files: ['zz'] } },
      { type: 'hello', heads: 'x' },
    ];
    for (const g of garbage) socket.emit('edgstr', g);
    await sleep(500);
    const health = await request(`${cluster!.cloud.url}/__edgstr/health`);
    expect(health.status).toBe(200);
    // Oversized: above the hub's 32 MiB limit; the hub drops the connection, not itself.
    const big = dial(secret, 'big');
    await new Promise<void>((resolve, reject) => {
      big.on('connect', () => resolve());
      big.on('connect_error', reject);
    });
    const dropped = new Promise<void>((resolve) => big.on('disconnect', () => resolve()));
    big.emit('edgstr', { type: 'sync', docId: 'files', data: Buffer.alloc(33 * 1024 * 1024, 1) });
    await Promise.race([dropped, sleep(10_000)]);
    expect(big.connected).toBe(false);
    expect((await request(`${cluster!.cloud.url}/__edgstr/health`)).status).toBe(200);
    // Sync still works for the real edge.
    const edge = cluster!.edges[0]!;
    const created = (await request(`${edge.url}/items`, 'POST', { name: 'after-garbage', qty: 1 })).body as { id: number };
    await waitUntil('a write after the garbage to reach the cloud', async () => (await items(cluster!.cloud.url)).some((i) => i.id === created.id), 15_000);
  }, 60_000);
});

/** Sends raw bytes to the edge and returns what came back (until the edge closes or 3 s pass). */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    const done = (): void => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (Buffer.concat(chunks).includes('\r\n\r\n')) setTimeout(done, 200);
    });
    socket.on('error', done);
    socket.on('close', done);
    setTimeout(done, 3_000);
  });
}

describe('edge forwarding', () => {
  it('forwards only to its cloud origin: absolute-form targets, odd Host headers and .. paths never reach another host', async () => {
    const edgePort = cluster!.edges[0]!.port;
    const evilHost = `127.0.0.1:${evilPort}`;
    const attempts = [
      `GET http://${evilHost}/x HTTP/1.1\r\nHost: ${evilHost}\r\nConnection: close\r\n\r\n`,
      `GET http://${evilHost}/origin HTTP/1.1\r\nHost: ${evilHost}\r\nConnection: close\r\n\r\n`,
      `GET http://127.0.0.1:${cluster!.cloud.port}@${evilHost}/origin HTTP/1.1\r\nHost: ${evilHost}\r\nConnection: close\r\n\r\n`,
      `GET /origin HTTP/1.1\r\nHost: ${evilHost}\r\nConnection: close\r\n\r\n`,
      `GET /origin HTTP/1.1\r\nHost: ${evilHost}\r\nX-Forwarded-Host: ${evilHost}\r\nConnection: close\r\n\r\n`,
      `GET //${evilHost}/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      `GET /../../${evilHost}/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      `GET /..%2f..%2f${evilHost}/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      `GET ${evilHost}/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      `CONNECT ${evilHost} HTTP/1.1\r\nHost: ${evilHost}\r\n\r\n`,
      `GET http://${evilHost}/ws HTTP/1.1\r\nHost: ${evilHost}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      `POST http://${evilHost}/items HTTP/1.1\r\nHost: ${evilHost}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    ];
    const answers: string[] = [];
    for (const a of attempts) answers.push(await raw(edgePort, a));
    await sleep(300);
    expect(evilSeen, 'requests that reached the other host').toEqual([]);
    // The forwarded ones went to the cloud: its /origin answer.
    expect(answers[1]).toMatch(/"servedBy":"cloud"/);
    expect(answers[3]).toMatch(/"servedBy":"cloud"/);
    for (const a of answers) expect(a).not.toMatch(/\r\n\r\nevil/);
  });
});
