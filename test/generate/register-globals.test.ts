/**
 * Fixture tests of the register-globals transform: <case>/input.js (or .mjs) + options.json ->
 * output.js, and an exec check that runs the output with the real globals bridge and drives
 * every registered getter/setter. EDGSTR_UPDATE_FIXTURES=1 rewrites output.js.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { render } from '../../src/generate/render.js';
import { registerGlobalsInApp, transformSource, wantedFromNames } from '../../src/generate/transform/register-globals/index.js';
import { caseDirs, expectedText, FIXTURES } from './fixtures.js';

const run = promisify(execFile);
const CASES = join(FIXTURES, 'transform', 'register-globals');
const scratch = mkdtempSync(join(tmpdir(), 'edgstr-register-globals-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface CaseOptions {
  globals: string[];
  exec: Record<string, unknown>;
}

// Loads the transformed module, then sets every global and reads it back through the bridge.
const DRIVER = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const [moduleFile, execJson] = process.argv.slice(2);
const bridge = require('./edgstr-globals.cjs');
const registry = new Map();
bridge.connectRuntime((name, get, set) => registry.set(name, { get, set }));
await import('./' + moduleFile);
const plain = (v) => (v instanceof Map ? Object.fromEntries(v) : v instanceof Set ? [...v] : v);
const out = { registered: [...registry.keys()].sort(), values: {} };
for (const [name, value] of Object.entries(JSON.parse(execJson))) {
  const { get, set } = registry.get(name);
  const before = get();
  set(value);
  const after = get();
  out.values[name] = { value: plain(after), sameObject: typeof before === 'object' && before !== null ? before === after : null };
}
console.log(JSON.stringify(out));
`;

describe('register-globals transform', () => {
  for (const name of caseDirs(CASES)) {
    it(name, async () => {
      const dir = join(CASES, name);
      const inputName = existsSync(join(dir, 'input.mjs')) ? 'input.mjs' : 'input.js';
      const options = JSON.parse(readFileSync(join(dir, 'options.json'), 'utf8')) as CaseOptions;
      const { code, registered } = transformSource(inputName, readFileSync(join(dir, inputName), 'utf8'), wantedFromNames(options.globals), './edgstr-globals.cjs');
      const outputName = inputName.replace('input', 'output');
      expect(code).toBe(expectedText(join(dir, outputName), code));
      expect([...registered].sort()).toEqual([...options.globals].sort());

      const work = join(scratch, name);
      rmSync(work, { recursive: true, force: true });
      mkdirSync(work, { recursive: true });
      writeFileSync(join(work, outputName), code);
      writeFileSync(join(work, 'edgstr-globals.cjs'), render('shared/edgstr-globals.cjs.hbs', { regenerate: 'test' }));
      writeFileSync(join(work, 'driver.mjs'), DRIVER);
      const { stdout } = await run(process.execPath, ['driver.mjs', outputName, JSON.stringify(options.exec)], { cwd: work });
      const result = JSON.parse(stdout) as { registered: string[]; values: Record<string, { value: unknown; sameObject: boolean | null }> };
      expect(result.registered).toEqual([...options.globals].sort());
      for (const [global, value] of Object.entries(options.exec)) {
        expect(result.values[global]!.value, global).toEqual(value);
        // A const binding cannot be rebound: its object must be updated in place.
        if (/^\s*const\s/m.test(code) && !global.includes('#') && result.values[global]!.sameObject !== null) {
          expect(result.values[global]!.sameObject, `${global} updated in place`).toBe(true);
        }
      }
    });
  }

  it('picks the declaring file and warns about globals no file declares', () => {
    const files = [
      { path: 'src/a.js', text: 'let count = 0;\nmodule.exports = () => count++;\n' },
      { path: 'src/b.js', text: 'const count = require("./a");\n' },
      { path: 'src/c.js', text: 'function f() { let hidden = 1; return hidden; }\n' },
    ];
    const result = registerGlobalsInApp(files, ['count', 'hidden', 'Nope#field'], () => '../edgstr-globals.cjs');
    expect([...result.files.keys()]).toEqual(['src/a.js']);
    expect(result.registeredIn.get('count')).toBe('src/a.js');
    expect(result.missing).toEqual(['hidden', 'Nope#field']);
    expect(result.warnings.some((w) => w.includes('declared in src/a.js and src/b.js'))).toBe(true);
    expect(result.warnings.some((w) => w.startsWith('global hidden: no app file declares it'))).toBe(true);
  });
});
