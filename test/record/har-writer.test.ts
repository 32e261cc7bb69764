import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EdgstrEntry } from '../../src/record/har-entry.js';
import { HarWriter } from '../../src/record/har-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'edgstr-harw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = (seq: number): EdgstrEntry => ({
  startedDateTime: new Date(0).toISOString(),
  time: 1,
  request: { method: 'GET', url: `http://x/${seq}`, httpVersion: 'HTTP/1.1', headers: [], queryString: [], cookies: [], headersSize: -1, bodySize: 0 },
  response: { status: 200, statusText: 'OK', httpVersion: 'HTTP/1.1', headers: [], cookies: [], content: { size: 0, mimeType: 'x-unknown' }, redirectURL: '', headersSize: -1, bodySize: 0 },
  cache: {},
  timings: { send: 0, wait: 1, receive: 0 },
  _edgstrSeq: seq,
});

describe('HarWriter', () => {
  it('add() writes entries in call order, calls back once each, and the file is valid HAR', async () => {
    const file = join(dir, 'a.har');
    const w = await HarWriter.open(file);
    const done: number[] = [];
    // Queued in one tick: the first goes out alone, the rest are coalesced into the next write.
    await new Promise<void>((resolve, reject) => {
      for (let i = 1; i <= 50; i++) {
        w.add(entry(i), (err) => {
          if (err !== undefined) reject(err as Error);
          done.push(i);
          if (done.length === 50) resolve();
        });
      }
    });
    expect(done).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    await w.append(entry(51));
    expect(w.count).toBe(51);
    await w.close();
    const har = JSON.parse(readFileSync(file, 'utf8')) as { log: { entries: EdgstrEntry[] } };
    expect(har.log.entries.map((e) => e._edgstrSeq)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
  });

  it('a throwing callback does not keep the other entries of its batch from being acknowledged', async () => {
    const file = join(dir, 'b.har');
    const w = await HarWriter.open(file);
    const thrown: unknown[] = [];
    const onUncaught = (err: unknown): void => {
      thrown.push(err);
    };
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onUncaught);
    try {
      const acked: number[] = [];
      await new Promise<void>((resolve) => {
        w.add(entry(1), () => acked.push(1));
        w.add(entry(2), () => {
          throw new Error('boom');
        });
        w.add(entry(3), () => {
          acked.push(3);
          resolve();
        });
      });
      await new Promise((r) => setTimeout(r, 10));
      expect(acked).toEqual([1, 3]);
      expect(thrown.map((e) => (e as Error).message)).toEqual(['boom']);
    } finally {
      process.off('uncaughtException', onUncaught);
      for (const l of listeners) process.on('uncaughtException', l);
    }
    await w.close();
    expect((JSON.parse(readFileSync(file, 'utf8')) as { log: { entries: unknown[] } }).log.entries).toHaveLength(3);
  });

  it('after close, add() calls back with an error and append() rejects', async () => {
    const w = await HarWriter.open(join(dir, 'c.har'));
    await w.close();
    const err = await new Promise<unknown>((resolve) => w.add(entry(1), resolve));
    expect((err as Error).message).toMatch(/closed/);
    await expect(w.append(entry(1))).rejects.toThrow(/closed/);
  });
});
