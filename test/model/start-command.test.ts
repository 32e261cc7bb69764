import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStartCommand, resolveEntry, shellWords } from '../../src/model/start-command.js';

describe('parseStartCommand', () => {
  it('reads tsx with an env file and an extensionless entry', () => {
    const s = parseStartCommand('tsx --env-file=.env index');
    expect(s).toMatchObject({ runner: 'tsx', entry: 'index', envFiles: ['.env'], preload: [], nodeFlags: [] });
  });

  it('expands npm start and keeps env assignments, preloads and other node flags', () => {
    const s = parseStartCommand('npm start', {
      start: 'NODE_ENV=production node -r dotenv/config --env-file .env.prod --max-old-space-size 512 --import ./otel.mjs --inspect src/server.js --port 1',
    });
    expect(s.env).toEqual({ NODE_ENV: 'production' });
    expect(s.envFiles).toEqual(['.env.prod']);
    expect(s.preload).toEqual([{ kind: 'require', specifier: 'dotenv/config' }, { kind: 'import', specifier: './otel.mjs' }]);
    expect(s.nodeFlags).toEqual(['--max-old-space-size=512']);
    expect(s.entry).toBe('src/server.js');
  });

  it('takes the long-running command of a chain, cross-env and npx, and drops watch modes', () => {
    expect(parseStartCommand('npm run build && cross-env PORT=4000 npx tsx watch src/main.ts')).toMatchObject({ runner: 'tsx', entry: 'src/main.ts', env: { PORT: '4000' } });
    expect(parseStartCommand('nodemon --watch src --exec node server.js').entry).toBe('server.js');
    expect(parseStartCommand('ts-node --transpile-only -P tsconfig.json src/index.ts')).toMatchObject({ entry: 'src/index.ts', nodeFlags: [] });
    expect(parseStartCommand('node --watch app.js').nodeFlags).toEqual([]);
  });

  it('does not preload tsx itself (the generated projects register it for a TypeScript entry)', () => {
    expect(parseStartCommand('node --import tsx src/server.ts').preload).toEqual([]);
  });

  it('reads dotenv-cli', () => {
    expect(parseStartCommand('dotenv -e .env.local -- node app.js')).toMatchObject({ envFiles: ['.env.local'], entry: 'app.js' });
  });
});

describe('resolveEntry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgstr-entry-'));
  writeFileSync(join(dir, 'index.ts'), '');
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'lib', 'index.js'), '');
  writeFileSync(join(dir, 'server.mjs'), '');

  it('adds extensions and folder indexes as Node and tsx do', () => {
    expect(resolveEntry(dir, 'index')).toBe('index.ts');
    expect(resolveEntry(dir, './lib')).toBe('lib/index.js');
    expect(resolveEntry(dir, 'server.mjs')).toBe('server.mjs');
    expect(resolveEntry(dir, 'missing')).toBeNull();
    expect(resolveEntry(dir, '../outside')).toBeNull();
  });
});

describe('shellWords', () => {
  it('handles quotes and escapes', () => {
    expect(shellWords(`node -e "a b" 'c d' e\\ f`)).toEqual(['node', '-e', 'a b', 'c d', 'e f']);
  });
});
