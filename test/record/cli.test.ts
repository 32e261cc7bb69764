/**
 * End-to-end through bin/edgstr (built by `npm test` before vitest runs, or `npm run build`):
 * bad input gives exit 1 and one clear line; SIGTERM ends a recording with exit 0.
 */
import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-server.js';

const bin = fileURLToPath(new URL('../../bin/edgstr', import.meta.url));
const fx = fileURLToPath(new URL('../fixtures/record/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'edgstr-cli-'));
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function edgstr(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 2) : 0, stdout, stderr });
    });
  });
}

async function expectOneLine(args: string[], pattern: RegExp): Promise<void> {
  const r = await edgstr(args);
  expect(r.stderr).toMatch(pattern);
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
}

describe('edgstr record / services: bad input', () => {
  it('unknown flag', async () => {
    const r = await edgstr(['record', '--target', server.url, '--bogus']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/unknown option '--bogus'/);
  });

  it('port in use, without creating the HAR', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as net.AddressInfo).port;
    const out = join(dir, 'busy.har');
    try {
      await expectOneLine(['record', '--target', server.url, '--port', String(port), '--out', out], /127\.0\.0\.1:\d+ is already in use; pick another --port/);
      expect(existsSync(out)).toBe(false);
    } finally {
      busy.close();
    }
  });

  it('out dir not writable', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    await expectOneLine(['record', '--target', server.url, '--port', '0', '--out', join(file, 'traffic.har')], /is not a directory; choose another --out path/);
  });

  it('invalid existing HAR is refused and left as it was', async () => {
    const out = join(dir, 'invalid.har');
    writeFileSync(out, '{"not":"har"}');
    await expectOneLine(['record', '--target', server.url, '--port', '0', '--out', out], /invalid\.har: exists but is not valid HAR/);
    expect(readFileSync(out, 'utf8')).toBe('{"not":"har"}');
    await expectOneLine(['services', '--traffic', out], /invalid\.har: HAR file is invalid at log/);
  });

  it('bad --target', async () => {
    await expectOneLine(['record', '--target', 'localhost:3000', '--port', '0', '--out', join(dir, 't.har')], /only http:\/\/ and https:\/\/ targets/);
  });

  it('pcapng', async () => {
    const file = join(dir, 'c.pcapng');
    writeFileSync(file, Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000', 'hex'));
    await expectOneLine(['record', '--pcap', file, '--server-port', '80', '--out', join(dir, 'ng.har')], /is pcapng, edgstr reads classic pcap; convert with `tcpdump -r/);
  });

  it('TLS pcap', async () => {
    const port = readFileSync(join(fx, 'pcap-port.txt'), 'utf8').trim();
    await expectOneLine(['record', '--pcap', join(fx, 'tls-lo.pcap'), '--server-port', port, '--out', join(dir, 'tls.har')], /encrypted \(TLS\): capture after TLS termination/);
  });

  it('--app with --pcap', async () => {
    await expectOneLine(['record', '--pcap', join(fx, 'http-lo.pcap'), '--server-port', '80', '--app', dir, '--out', join(dir, 'app.har')], /--app keeps the data of a live app when recording starts; with --pcap/);
  });

  it('no traffic on the port', async () => {
    await expectOneLine(['record', '--pcap', join(fx, 'http-lo.pcap'), '--server-port', '9', '--out', join(dir, 'none.har')], /no TCP traffic on port 9/);
    expect(existsSync(join(dir, 'none.har'))).toBe(false);
  });
});

describe('edgstr record / services: end to end', () => {
  it('records until SIGTERM, exits 0 with a --json summary; services --json lists them', async () => {
    const out = join(dir, 'e2e.har');
    const child = spawn(process.execPath, [bin, 'record', '--target', server.url, '--port', '0', '--out', out, '--json'], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        const m = /listening on (http:\/\/\S+),/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.once('exit', () => reject(new Error(`record exited early: ${stderr}`)));
    });
    for (const id of [3, 4]) await (await fetch(`${url}/echo/${id}?q=z`)).text();
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ recorded: 2, failed: 0, totalEntries: 2 });
    const s = await edgstr(['services', '--traffic', out, '--json']);
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout)).toEqual({
      services: [{ id: 'GET /echo/:id', method: 'GET', route: '/echo/:id', count: 2, examples: [{ url: '/echo/3?q=z', status: 200 }, { url: '/echo/4?q=z', status: 200 }] }],
    });
  });

  it('--app keeps the app\'s data (SQLite through its backup API, data files, not code) before the first exchange', async () => {
    const app = join(dir, 'app-with-data');
    mkdirSync(join(app, 'data'), { recursive: true });
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(join(app, 'src', 'server.js'), '// code, not data\n');
    writeFileSync(join(app, 'package.json'), '{}\n');
    writeFileSync(join(app, 'data', 'notes.json'), '[{"id":1}]\n');
    const db = new Database(join(app, 'data', 'app.db'));
    db.pragma('journal_mode = WAL');
    db.exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('before')");
    const workdir = join(dir, 'with-app');
    const child = spawn(process.execPath, [bin, 'record', '--target', server.url, '--port', '0', '--workdir', workdir, '--app', app, '--max-requests', '1'], { env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    const url = await new Promise<string>((resolve) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        const m = /listening on (http:\/\/\S+),/.exec(stderr);
        if (m) resolve(m[1]!);
      });
    });
    // what the traffic does afterwards is not in the kept state
    db.exec("INSERT INTO t VALUES ('after')");
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await (await fetch(`${url}/echo/1`)).text();
    expect(await exited).toBe(0);
    db.close();
    expect(stderr).toMatch(/kept the app's data as the init state \(2 file\(s\)\)/);
    const manifest = JSON.parse(readFileSync(join(workdir, 'init-state', 'manifest.json'), 'utf8')) as { files: { path: string; kind: string }[] };
    expect(manifest.files.map((f) => [f.path, f.kind])).toEqual([['data/app.db', 'sqlite'], ['data/notes.json', 'file']]);
    const kept = new Database(join(workdir, 'init-state', 'files', 'data', 'app.db'), { readonly: true });
    expect(kept.prepare('SELECT x FROM t').all()).toEqual([{ x: 'before' }]);
    kept.close();
  });

  it('stops by itself after --max-requests', async () => {
    const out = join(dir, 'max.har');
    const child = spawn(process.execPath, [bin, 'record', '--target', server.url, '--port', '0', '--out', out, '--max-requests', '1'], { env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    const url = await new Promise<string>((resolve) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        const m = /listening on (http:\/\/\S+),/.exec(stderr);
        if (m) resolve(m[1]!);
      });
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await (await fetch(`${url}/echo/1`)).text();
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/1 exchanges recorded/);
  });
});
