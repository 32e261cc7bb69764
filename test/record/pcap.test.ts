import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readTraffic } from '../../src/model/traffic.js';
import { redactionFor } from '../../src/record/har-entry.js';
import { entriesFromPcap, recordPcap } from '../../src/record/pcap/record-pcap.js';
import { pathAndQuery } from '../../src/services/infer.js';
import { buildPcap, Conn, type TcpPacket } from './pcap-builder.js';

const fx = fileURLToPath(new URL('../fixtures/record/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'edgstr-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const redact = redactionFor(true);
const port = Number(readFileSync(join(fx, 'pcap-port.txt'), 'utf8'));
const line = (e: { request: { method: string; url: string }; response: { status: number } }): string => `${e.request.method} ${pathAndQuery(e.request.url)} -> ${e.response.status}`;

describe('record --pcap on tcpdump captures (scripts/capture-pcaps.sh)', () => {
  it.each(['http-lo', 'http-any'])('%s.pcap: every exchange, in detail', async (name) => {
    const { entries, warnings } = await entriesFromPcap(join(fx, `${name}.pcap`), port, redact);
    expect(warnings).toEqual([]);
    const expected = JSON.parse(readFileSync(join(fx, `${name}.expected.json`), 'utf8')) as string[];
    expect(entries.map(line).sort()).toEqual([...expected].sort());
    const by = (l: string) => entries.find((e) => line(e) === l)!;
    expect(by('GET /chunked -> 200').response.content.text).toBe('first part, second part');
    expect(by('HEAD /echo/2 -> 200').response.content.size).toBe(0);
    expect(JSON.parse(by('GET /gzip -> 200').response.content.text!)).toEqual({ hello: 'gzip' });
    const posts = entries.filter((e) => e.request.method === 'POST').map((e) => e.request.postData?.text);
    expect(posts).toEqual(['{"name":"donut"}', 'chunked upload body']);
    expect(entries.find((e) => e.request.method === 'POST')!.request.headers.find((h) => h.name === 'authorization')!.value).toMatch(/^(\S+ )?edgstr-redacted-[0-9a-f]{12}$/);
    expect(JSON.parse(by('GET /echo/p2 -> 200').response.content.text!).id).toBe('p2'); // pipelined, matched in order
    expect(by('GET /big?kb=40 -> 200').response.content.size).toBe(40 * 1030);
    for (let i = 1; i <= 5; i++) expect(JSON.parse(by(`GET /slow?id=${i}&ms=${60 - i * 10} -> 200`).response.content.text!).id).toBe(String(i));
  });

  it('subject capture: the HAR holds what the regression client did', async () => {
    const subjectPort = Number(readFileSync(join(fx, 'subject-donutshop.port.txt'), 'utf8'));
    const out = join(dir, 'donut.har');
    const r = await recordPcap({ file: join(fx, 'subject-donutshop.pcap'), serverPort: subjectPort, out, redact });
    const client = readFileSync(join(fx, 'subject-donutshop.client.txt'), 'utf8').split('\n').filter((l) => / -> \d{3}$/.test(l));
    expect(r.recorded).toBe(client.length);
    expect(readTraffic(out).log.entries.map(line).sort()).toEqual(client.sort());
  });

  it('keeps the complete packets of a truncated file and says what was dropped', async () => {
    const whole = readFileSync(join(fx, 'http-lo.pcap'));
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const { entries, warnings } = await entriesFromPcap(cut, port, redact);
    expect(warnings.join('\n')).toMatch(/ends inside a packet \(\d+ bytes of a partial packet dropped\)/);
    expect(entries.length).toBeGreaterThan(0);
  });
});

describe('TCP reassembly and HTTP parsing on built captures', () => {
  const C: [string, number] = ['10.0.0.2', 40000];
  const C2: [string, number] = ['10.0.0.3', 40001];
  const S: [string, number] = ['10.0.0.1', 8080];

  it.each([1, 0, 101, 113])('link type %i: out-of-order, retransmitted and overlapping segments, two interleaved connections', async (linkType) => {
    const a = new Conn(C, S, 1_000, 0xfffffff0); // sequence numbers wrap around
    const b = new Conn(C2, S, 1_001);
    const reqA = a.send(true, 'POST /items HTTP/1.1\r\nHost: s\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"name":"ab"}', 20);
    const resA = a.send(false, 'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"id"\r\n4\r\n:42}\r\n0\r\n\r\n', 15);
    const reqA2 = a.send(true, 'HEAD /items/42 HTTP/1.1\r\nHost: s\r\n\r\n');
    const resA2 = a.send(false, 'HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n');
    const reqB = b.send(true, 'GET /items/7?x=1 HTTP/1.1\r\nHost: s\r\n\r\n', 7);
    const resB = b.send(false, 'HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno', 10);
    const overlap: TcpPacket = { ...reqA[1]!, seq: (reqA[1]!.seq - 5) >>> 0, payload: Buffer.concat([Buffer.from('ms HT'), reqA[1]!.payload as Buffer]).subarray(0, 22) };
    const shuffled: TcpPacket[] = [
      ...a.packets, ...b.packets,
      reqA[0]!, reqA[2]!, reqB[1]!, reqA[1]!, reqA[0]!, overlap, reqB[0]!, ...reqA.slice(3), ...reqB.slice(2),
      resB[1]!, resA[1]!, resA[0]!, resB[0]!, ...resB.slice(2), resA[0]!, ...resA.slice(2).reverse(),
      ...reqA2, ...resA2,
    ].map((p, i) => ({ ...p, ts: 1_000 + i }));
    const file = join(dir, `built-${linkType}.pcap`);
    writeFileSync(file, buildPcap(linkType, shuffled));
    const { entries, warnings, connections } = await entriesFromPcap(file, 8080, redact);
    expect(warnings).toEqual([]);
    expect(connections).toBe(2);
    expect(entries.map(line)).toEqual(['POST /items -> 201', 'GET /items/7?x=1 -> 404', 'HEAD /items/42 -> 200']);
    expect(entries[0]!.request.postData?.text).toBe('{"name":"ab"}');
    expect(entries[0]!.response.content.text).toBe('{"id":42}');
    expect(entries[1]!.response.content.text).toBe('no');
    expect(entries[2]!.response.content.size).toBe(0);
    expect(entries[0]!.serverIPAddress).toBe('10.0.0.1');
  });

  it('reports a hole that never fills and a request without a response', async () => {
    const a = new Conn(C, S, 1_000);
    const req = a.send(true, 'GET /a HTTP/1.1\r\nHost: s\r\n\r\nGET /b HTTP/1.1\r\nHost: s\r\n\r\n', 10);
    const res = a.send(false, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    const file = join(dir, 'hole.pcap');
    writeFileSync(file, buildPcap(1, [...a.packets, ...req.slice(0, 3), ...req.slice(4), ...res]));
    const { entries, warnings } = await entriesFromPcap(file, 8080, redact);
    expect(entries.map(line)).toEqual(['GET /a -> 200']);
    expect(warnings.join('\n')).toMatch(/request bytes after a gap at byte 30 were lost/);
  });
});

describe('record --pcap errors', () => {
  it('refuses pcapng with the conversion command', async () => {
    const file = join(dir, 'x.pcapng');
    writeFileSync(file, Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000', 'hex'));
    await expect(entriesFromPcap(file, 80, redact)).rejects.toThrow(/is pcapng.*tcpdump -r .* -w out\.pcap.*tshark -F pcap/);
  });

  it('says TLS traffic is encrypted', async () => {
    await expect(entriesFromPcap(join(fx, 'tls-lo.pcap'), port, redact)).rejects.toThrow(/encrypted \(TLS\): capture after TLS termination/);
  });

  it('says when there is no traffic on the port, and leaves an existing HAR alone', async () => {
    const out = join(dir, 'keep.har');
    const before = '{"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":[]}}';
    writeFileSync(out, before);
    await expect(recordPcap({ file: join(fx, 'http-lo.pcap'), serverPort: 1, out, redact })).rejects.toThrow(/no TCP traffic on port 1/);
    expect(readFileSync(out, 'utf8')).toBe(before);
  });
});
