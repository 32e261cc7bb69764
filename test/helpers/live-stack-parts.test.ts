// The pure parts of the live-stack checks (../helpers/live-stack.ts): which recorded write is
// the probe, how its variants differ, and how replica state is read from disk.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as A from '@automerge/automerge';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { HarEntry } from '../../src/model/traffic.js';
import type { ProjectConfig } from '../../src/verify/stack.js';
import { absentPath, pickProbe, readPath, variantOf } from './probe.js';
import { globalsDifferences, stateSize } from './replica-state.js';

function entry(method: string, path: string, status: number, response: unknown, body?: unknown): HarEntry {
  const text = JSON.stringify(response);
  return {
    startedDateTime: '2026-01-01T00:00:00.000Z',
    time: 1,
    request: {
      method,
      url: `http://127.0.0.1:3000${path}`,
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: body === undefined ? [] : [{ name: 'content-type', value: 'application/json' }],
      queryString: [],
      headersSize: -1,
      bodySize: -1,
      ...(body === undefined ? {} : { postData: { mimeType: 'application/json', text: JSON.stringify(body) } }),
    },
    response: {
      status,
      statusText: '',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: [],
      content: { size: text.length, mimeType: 'application/json', text },
      redirectURL: '',
      headersSize: -1,
      bodySize: -1,
    },
    cache: {},
    timings: { send: 0, wait: 1, receive: 0 },
  };
}

describe('pickProbe', () => {
  it('takes the first create at a fixed path whose id a later GET reads back', () => {
    const entries = [
      entry('POST', '/shops/1/items', 201, { id: 5 }, { name: 'x' }), // path names a parent: skipped
      entry('POST', '/donuts', 400, { error: 'name' }, { name: '' }),
      entry('POST', '/donuts', 201, { id: 9, name: 'Glazed Ring' }, { name: 'Glazed Ring', price: 1 }),
      entry('GET', '/donuts/9', 200, { id: 9 }),
    ];
    const probe = pickProbe(entries);
    expect(probe.label).toBe('POST /donuts');
    expect(probe.readTemplate).toBe('/donuts/{id}');
    expect(readPath(probe, '12')).toBe('/donuts/12');
    expect(absentPath(probe)).toBe('/donuts/987654321');
  });

  it('falls back to the first successful POST when nothing is read back by id', () => {
    const probe = pickProbe([entry('GET', '/x', 200, {}), entry('POST', '/molweight', 200, { formula: 'C2H6' }, { smiles: 'CC' })]);
    expect(probe.label).toBe('POST /molweight');
    expect(probe.readTemplate).toBeNull();
  });

  it('reads an id-less write back through a read-only GET of the rows or files it writes, before globals', () => {
    const set = (tables: string[], files: string[], globals: string[]) => ({ tables, files, globals });
    const none = set([], [], []);
    const services = [
      { method: 'POST', route: '/molweight', stateful: true, state: { reads: none, writes: set([], ['data/history.jsonl'], ['memo']) } },
      { method: 'GET', route: '/elements', stateful: false, state: { reads: none, writes: none } },
      { method: 'GET', route: '/stats', stateful: false, state: { reads: set([], [], ['memo']), writes: none } },
      { method: 'GET', route: '/count', stateful: true, state: { reads: set([], ['data/history.jsonl'], []), writes: set([], [], ['hits']) } },
      { method: 'GET', route: '/history', stateful: false, state: { reads: set([], ['data/history.jsonl'], []), writes: none } },
    ];
    const entries = [
      entry('GET', '/elements', 200, []),
      entry('GET', '/stats', 200, {}),
      entry('POST', '/molweight', 200, { formula: 'C2H6' }, { smiles: 'CC' }),
      entry('GET', '/count', 200, { n: 1 }),
      entry('GET', '/history?limit=5', 200, { entries: [] }),
    ];
    expect(pickProbe(entries, services).stateRead).toBe('/history?limit=5');
    expect(pickProbe(entries).stateRead).toBeNull();
  });

  it('refuses traffic without a successful POST', () => {
    expect(() => pickProbe([entry('GET', '/x', 200, {})])).toThrow(/no successful POST/);
  });
});

describe('variantOf', () => {
  it('suffixes free text in the query and JSON body, and leaves codes, blobs and numbers alone', () => {
    const e = entry('POST', '/books?title=Client%20Notebook&minScore=0.5', 201, { id: 'client-notebook' }, {
      name: 'Sprinkle Ring',
      smiles: 'CC(=O)Oc1ccccc1C(=O)O',
      pgm: 'UDUKMjggMjgKMjU1CgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      shop_id: 1,
      tags: ['glazed', 'x'],
    });
    const v = variantOf(pickProbe([e]), 'alpha');
    const url = new URL(v.request.url);
    expect(url.searchParams.get('title')).toBe('Client Notebook-alpha');
    expect(url.searchParams.get('minScore')).toBe('0.5');
    expect(JSON.parse(v.request.postData!.text!)).toEqual({
      name: 'Sprinkle Ring-alpha',
      smiles: 'CC(=O)Oc1ccccc1C(=O)O',
      pgm: 'UDUKMjggMjgKMjU1CgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      shop_id: 1,
      tags: ['glazed-alpha', 'x'],
    });
    expect(e.request.url).toContain('title=Client%20Notebook&'); // the recording is untouched
  });
});

describe('replica state on disk', () => {
  const root = mkdtempSync(join(tmpdir(), 'edgstr-live-parts-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('counts replicated rows, files and file lines', () => {
    const app = join(root, 'app');
    mkdirSync(join(app, 'data', 'logs'), { recursive: true });
    const db = new Database(join(app, 'data', 'app.db'));
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, t TEXT); INSERT INTO notes (t) VALUES (\'a\'), (\'b\'); CREATE TABLE other (x)');
    db.close();
    writeFileSync(join(app, 'data', 'history.jsonl'), '{"a":1}\n{"a":2}\n');
    writeFileSync(join(app, 'data', 'logs', 'one.txt'), 'no newline');
    const config: ProjectConfig = { role: 'cloud', secret: 's', app: { dir: 'app', entry: 'src/server.js' }, tables: [{ file: 'data/app.db', tables: ['notes'] }], files: ['data/history.jsonl', 'data/logs/', 'data/missing.txt'], globals: [] };
    // 2 rows + (1 file + 2 lines) + (1 file + 0 lines)
    expect(stateSize(app, config)).toBe(6);
  });

  it('compares the replicated globals of persisted documents, torn last frame ignored', () => {
    const save = (dir: string, value: number, torn = false): void => {
      mkdirSync(dir, { recursive: true });
      const doc = A.change(A.init<Record<string, unknown>>(), (d) => {
        d.count = { k: new A.ImmutableString('number'), b: 0, c: new A.Counter(value), m: {}, v: new A.ImmutableString('') };
        d.cache = { k: new A.ImmutableString('map'), b: 0, c: new A.Counter(0), m: { a: new A.ImmutableString('1') }, v: new A.ImmutableString('') };
      });
      const bytes = A.save(doc);
      const header = Buffer.alloc(4);
      header.writeUInt32BE(bytes.length, 0);
      writeFileSync(join(dir, 'globals.automerge'), Buffer.concat([header, bytes, ...(torn ? [Buffer.from([0, 0, 0, 9, 1])] : [])]));
    };
    save(join(root, 'cloud'), 3);
    save(join(root, 'edge-1'), 3, true);
    save(join(root, 'edge-2'), 4);
    expect(globalsDifferences([join(root, 'cloud'), join(root, 'edge-1')], ['count', 'cache'])).toEqual([]);
    const diff = globalsDifferences([join(root, 'cloud'), join(root, 'edge-1'), join(root, 'edge-2'), join(root, 'none')], ['count', 'cache']);
    expect(diff).toHaveLength(3);
    expect(diff[0]).toMatch(/^global count: .*"c":3.* vs .*edge-2 .*"c":4/);
    expect(diff.slice(1).every((d) => d.includes('no globals document'))).toBe(true);
  });
});
