/**
 * record against bad input: pcapng, TLS pcap, missing capture, no traffic on the port, a port in
 * use, an out dir that cannot be written; and Ctrl-C in the middle of a recording (exit 0, valid HAR).
 */
import http from 'node:http';
import net from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestTree, edgstr, expectOneLineError, fx, recordFx, scratch, start, tempLeftovers, waitForStderr } from './helpers.js';

const s = scratch('record');
const pcapPort = readFileSync(join(recordFx, 'pcap-port.txt'), 'utf8').trim();
let origin: http.Server;
let originUrl = '';

beforeAll(async () => {
  origin = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ url: req.url }));
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  originUrl = `http://127.0.0.1:${(origin.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => origin.close(r));
  s.cleanup();
});

describe('edgstr record: bad input', () => {
  it('record --pcap with a pcapng file', async () => {
    const d = s.dir('pcapng');
    const out = join(d, 'traffic.har');
    const r = await edgstr(['record', '--pcap', join(fx, 'pcap', 'capture.pcapng'), '--server-port', '80', '--out', out]);
    expectOneLineError(r, /capture\.pcapng: is pcapng, edgstr reads classic pcap; convert with `tcpdump -r .* -w out\.pcap`/);
    expect(existsSync(out)).toBe(false);
  });

  it('record --pcap with a TLS capture', async () => {
    const d = s.dir('tls');
    const out = join(d, 'traffic.har');
    const r = await edgstr(['record', '--pcap', join(recordFx, 'tls-lo.pcap'), '--server-port', pcapPort, '--out', out]);
    expectOneLineError(r, /tls-lo\.pcap: the traffic on port \d+ is encrypted \(TLS\): capture after TLS termination/);
    expect(existsSync(out)).toBe(false);
  });

  it('record --pcap with a missing file', async () => {
    const d = s.dir('missing');
    const out = join(d, 'traffic.har');
    const r = await edgstr(['record', '--pcap', join(d, 'nope.pcap'), '--server-port', '80', '--out', out]);
    expectOneLineError(r, /nope\.pcap: no such file; give --pcap a capture file/);
    expect(existsSync(out)).toBe(false);
  });

  it('record --pcap with no traffic on the given port', async () => {
    const d = s.dir('noport');
    const out = join(d, 'traffic.har');
    const r = await edgstr(['record', '--pcap', join(recordFx, 'http-lo.pcap'), '--server-port', '9', '--out', out]);
    expectOneLineError(r, /http-lo\.pcap: no TCP traffic on port 9 .*give the HTTP server's port with --server-port/);
    expect(existsSync(out)).toBe(false);
  });

  it('record --pcap keeps an existing HAR when the capture is bad', async () => {
    const d = s.dir('keep');
    const out = join(d, 'traffic.har');
    writeFileSync(out, readFileSync(join(fx, 'har', 'good.har')));
    const before = digestTree(d);
    const r = await edgstr(['record', '--pcap', join(recordFx, 'tls-lo.pcap'), '--server-port', pcapPort, '--out', out]);
    expectOneLineError(r, /encrypted \(TLS\)/);
    expect(digestTree(d)).toEqual(before);
  });

  it('record with a port in use', async () => {
    const d = s.dir('busy');
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as net.AddressInfo).port;
    const out = join(d, 'traffic.har');
    try {
      const r = await edgstr(['record', '--target', originUrl, '--port', String(port), '--out', out]);
      expectOneLineError(r, new RegExp(`127\\.0\\.0\\.1:${port} is already in use; pick another --port`));
      expect(existsSync(out)).toBe(false);
    } finally {
      busy.close();
    }
  });

  it('record with an out dir that is not writable', async () => {
    const d = s.dir('notdir');
    writeFileSync(join(d, 'a-file'), 'x');
    const r = await edgstr(['record', '--target', originUrl, '--port', '0', '--out', join(d, 'a-file', 'traffic.har')]);
    expectOneLineError(r, /a-file.* is not a directory; choose another --out path/);
    expect(readFileSync(join(d, 'a-file'), 'utf8')).toBe('x');
  });

  it('Ctrl-C in the middle of a recording: exit 0 and a valid HAR', async () => {
    const d = s.dir('sigint');
    const out = join(d, 'traffic.har');
    const run = start(['record', '--target', originUrl, '--port', '0', '--out', out]);
    let url = '';
    run.child.stderr!.on('data', (c: Buffer) => {
      url ||= /listening on (http:\/\/\S+),/.exec(c.toString())?.[1] ?? '';
    });
    expect(await waitForStderr(run, /listening on http/)).toBe(true);
    for (const id of [1, 2]) await (await fetch(`${url}/items/${id}`)).text();
    // A request still in flight when Ctrl-C lands must not leave a half-written file.
    const inFlight = fetch(`${url}/items/3`).then((r) => r.text()).catch(() => '');
    run.child.kill('SIGINT');
    await inFlight;
    const r = await run.result;
    expect(r.code, r.stderr).toBe(0);
    const har = JSON.parse(readFileSync(out, 'utf8')) as { log: { entries: { request: { url: string } }[] } };
    expect(har.log.entries.length).toBeGreaterThanOrEqual(2);
    expect(har.log.entries.map((e) => new URL(e.request.url).pathname).slice(0, 2)).toEqual(['/items/1', '/items/2']);
    expect(tempLeftovers(d)).toEqual([]);
  });
});
