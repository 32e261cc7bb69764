import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCommand } from '../../src/analyze/workspace/start-command.js';

const dirs: string[] = [];
function app(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgstr-start-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('analyze: the start command of an app', () => {
  it('takes --start, then the start script, then main, then a Procfile web: line, then the usual entry files', () => {
    expect(startCommand(app({ 'package.json': '{"scripts":{"start":"node a.js"}}' }), 'node b.js')).toBe('node b.js');
    expect(startCommand(app({ 'package.json': '{"scripts":{"start":"node a.js"}, "main":"m.js"}', 'm.js': '' }), undefined)).toBe('node a.js');
    expect(startCommand(app({ 'package.json': '{"main":"lib/main.js"}', 'lib/main.js': '' }), undefined)).toBe('node lib/main.js');
    expect(startCommand(app({ 'package.json': '{"main":"gone.js"}', Procfile: 'release: x\nweb: node web.js --x\n' }), undefined)).toBe('node web.js --x');
    expect(startCommand(app({ 'package.json': '{}', 'app.js': '', 'src/server.js': '' }), undefined)).toBe('node app.js');
    expect(startCommand(app({ 'src/index.js': '' }), undefined)).toBe('node src/index.js');
  });

  it('asks for --start in one line when nothing says how to start', () => {
    const dir = app({ 'package.json': '{"name":"x"}', 'lib/serve.js': '' });
    expect(() => startCommand(dir, undefined)).toThrow(/no way to start the app found .* — pass the command with --start$/);
  });
});
