/**
 * Fixture tests for the instrumentation plugins (Babel's fixture-runner style): each
 * test/fixtures/analyze/instrument/<plugin>/<case>/input.js is instrumented with that plugin
 * alone and compared with output.js (EDGSTR_UPDATE_FIXTURES=1 rewrites the expectations), then
 * the fully instrumented module is executed against the real probe runtime (exec check).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { instrumentSource, type PluginName } from '../../src/analyze/instrument/instrument-file.js';
import { emptyProbeTable, type ProbeTable } from '../../src/analyze/instrument/probe-table.js';
import { als, Runtime } from '../../src/analyze/tracer/runtime.js';
import { UserError } from '../../src/model/errors.js';

const root = path.join(import.meta.dirname, '..', 'fixtures', 'analyze', 'instrument');
const update = process.env.EDGSTR_UPDATE_FIXTURES === '1';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgstr-instr-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

for (const plugin of fs.readdirSync(root)) {
  describe(`plugin ${plugin}`, () => {
    for (const c of fs.readdirSync(path.join(root, plugin))) {
      it(`${c}: input.js -> output.js`, () => {
        const dir = path.join(root, plugin, c);
        const input = fs.readFileSync(path.join(dir, 'input.js'), 'utf8');
        const out = instrumentSource(input, { file: 'input.js', sourceType: 'module', table: emptyProbeTable(), plugins: [plugin as PluginName], sourceMap: false });
        const expected = path.join(dir, 'output.js');
        if (update) fs.writeFileSync(expected, out);
        // A missing expectation fails: it is written only on request, after reading the output.
        expect(fs.existsSync(expected), `${expected} is missing: run with EDGSTR_UPDATE_FIXTURES=1 and review it`).toBe(true);
        expect(out).toBe(fs.readFileSync(expected, 'utf8'));
      });
    }
  });
}

async function load(fixture: string): Promise<{ mod: Record<string, (...a: unknown[]) => unknown>; rt: Runtime; table: ProbeTable }> {
  const table = emptyProbeTable();
  const code = instrumentSource(fs.readFileSync(path.join(root, fixture, 'input.js'), 'utf8'), { file: `${fixture}.js`, sourceType: 'module', table });
  const rt = new Runtime({ stmts: table.stmts.length, globals: table.globals.length, fields: table.fields.length });
  (globalThis as Record<string, unknown>).__edgstr$rt = rt;
  const file = path.join(tmp, `${fixture.replace(/\W/g, '_')}.mjs`);
  fs.writeFileSync(file, code);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, (...a: unknown[]) => unknown>;
  return { mod, rt, table };
}

function inExec<T>(rt: Runtime, fn: () => T): T {
  rt.begin('t');
  return als.run({ id: 't' }, fn);
}

describe('exec checks', () => {
  it('globals: reads/writes by run-time receiver type; checkpoint and restore in place', async () => {
    const { mod, rt, table } = await load('globals/basic');
    const name = (ids: number[]) => [...new Set(ids.map((i) => table.globals[i]!.name))].sort();
    rt.checkpointGlobals();
    expect(inExec(rt, () => mod.lookup!('abc'))).toBe(6);
    expect(name(rt.cur!.globalWrites)).toEqual(['cache', 'hits', 'total']);
    expect(name(rt.cur!.globalReads)).toEqual(['cache', 'config', 'hits', 'total']);
    inExec(rt, () => mod.stats!());
    expect(name(rt.cur!.globalReads)).toEqual(['cache', 'hits', 'total']);
    expect(rt.cur!.globalWrites).toEqual([]);
    expect(mod.stats!()).toEqual({ hits: 1, size: 1, total: 6 });
    rt.restoreGlobals();
    expect(mod.stats!()).toEqual({ hits: 0, size: 0, total: 0 });
  });

  it('globals: a library object written through its own methods is a write (state compared), restored after', async () => {
    const { mod, rt, table } = await load('globals/library');
    const name = (ids: number[]) => [...new Set(ids.map((i) => table.globals[i]!.name))].sort();
    rt.checkpointGlobals();
    inExec(rt, () => mod.put!('a', 1));
    rt.settleWatched();
    expect(name(rt.cur!.globalWrites)).toEqual(['cache']);
    expect(mod.lookup!('a')).toBe(1);
    rt.restoreGlobals();
    expect(mod.lookup!('a')).toBeUndefined();
    // a lookup changes only its hit counter: a read
    expect(inExec(rt, () => mod.lookup!('a'))).toBeUndefined();
    rt.settleWatched();
    expect(name(rt.cur!.globalReads)).toEqual(['cache']);
    expect(rt.cur!.globalWrites).toEqual([]);
    // a delete is a write by its name, as Map#delete is, even of a key that is not there
    inExec(rt, () => mod.drop!('zzz'));
    rt.settleWatched();
    expect(name(rt.cur!.globalWrites)).toEqual(['cache']);
    rt.restoreGlobals();
    // other names: a write only when the reachable state changed
    inExec(rt, () => mod.check!('a'));
    rt.settleWatched();
    expect(rt.cur!.globalWrites).toEqual([]);
    inExec(rt, () => mod.remember!('b', 2));
    rt.settleWatched();
    expect(name(rt.cur!.globalWrites)).toEqual(['cache']);
    rt.restoreGlobals();
    expect(mod.check!('b')).toBe(false);
    // an app class instance's `delete` is not a write of the binding
    inExec(rt, () => mod.removeRow!(1));
    rt.settleWatched();
    expect(name(rt.cur!.globalReads)).toEqual(['repo']);
    expect(rt.cur!.globalWrites).toEqual([]);
    // an EventEmitter's listeners are its state
    inExec(rt, () => mod.subscribe!(() => undefined));
    rt.settleWatched();
    expect(name(rt.cur!.globalWrites)).toEqual(['bus']);
    expect(mod.count!()).toBe(1);
    rt.restoreGlobals();
    expect(mod.count!()).toBe(0);
  });

  it('this-fields: Class#field on long-lived instances only, restored after the execution', async () => {
    const { mod, rt, table } = await load('this-fields/basic');
    const Books = mod.Books as unknown as new (db: unknown) => { find(id: number): unknown; clear(): number; cache: Map<number, unknown> };
    const books = new Books({ get: (id: number) => ({ id }) });
    rt.checkpointGlobals();
    const field = (ids: number[]) => [...new Set(ids.map((i) => `${table.fields[i]!.className}#${table.fields[i]!.field}`))].sort();
    inExec(rt, () => books.find(1));
    expect(field(rt.cur!.fieldWrites)).toEqual(['Books#cache', 'Books#hits']);
    expect(field(rt.cur!.fieldReads)).toEqual(['Books#cache', 'Books#db', 'Books#hits']);
    rt.restoreGlobals();
    expect(books.cache.size).toBe(0);
    // an instance made inside a request is not long-lived: its fields are not state
    const cur = inExec(rt, () => {
      const tmpBooks = new Books({ get: () => null });
      tmpBooks.find(2);
      return rt.cur!;
    });
    expect(cur.fieldWrites).toEqual([]);
    expect(Object.keys(books)).toEqual(['db', 'cache', 'hits']);
  });

  it('values: logs arguments and results without changing behaviour', async () => {
    const { mod, rt, table } = await load('values/basic');
    let sent: unknown;
    const res = { status: () => res, json: (v: unknown) => (sent = v) };
    inExec(rt, () => mod.handler!({ params: { id: '1' } }, res));
    expect(sent).toEqual({ id: 1, name: 'a', seen: true });
    const lines = rt.rawValues.filter(([, v]) => v === '1').map(([s]) => table.stmts[s]!.line);
    expect(lines).toContain(2);
    const exit = rt.rawValues.filter(([, v]) => JSON.stringify(v) === JSON.stringify(sent)).map(([s]) => table.stmts[s]!.line);
    expect(exit).toContain(5);
    expect(mod.twice!(4)).toBe(8);
  });

  it('a syntax error is a UserError with a code frame', () => {
    expect(() => instrumentSource('function (', { file: 'bad.js', sourceType: 'module', table: emptyProbeTable() })).toThrow(UserError);
    try {
      instrumentSource('const a = ;', { file: 'bad.js', sourceType: 'module', table: emptyProbeTable() });
    } catch (err: unknown) {
      expect((err as UserError).message).toMatch(/^bad\.js: Unexpected token/);
      expect((err as UserError).details).toContain('> 1 | const a = ;');
    }
  });
});
