/**
 * End-to-end: spawns bin/edgstr (run `npm run build` first; `npm test` does) with NO_COLOR=1 on a
 * scratch copy of the seats fixture.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seatsWorkspace } from './helpers.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/edgstr', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let ws: { root: string; workdir: string };
beforeEach(() => {
  ws = seatsWorkspace();
});
afterEach(() => {
  rmSync(ws.root, { recursive: true, force: true });
});

async function edgstr(args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, 'review', '--workdir', ws.workdir, ...args], {
      cwd: ws.root,
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const decisionsFile = (): string => join(ws.workdir, 'decisions.json');
const decisions = (): { services: Record<string, { accepted: boolean; by: string; at: string }> } => JSON.parse(readFileSync(decisionsFile(), 'utf8'));
const oneLine = (r: Run): string => {
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  return r.stderr.trim();
};

describe('edgstr review (CLI)', () => {
  it('--accept all: accepts every replicable service, skips the other with a note, stamps who/when', async () => {
    const r = await edgstr(['--accept', 'all']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('note: GET /weather skipped by --accept all: cannot be replicated');
    expect(r.stderr).toContain('7 of 8 services accepted for the edge');
    const d = decisions();
    expect(Object.keys(d.services)).toHaveLength(8);
    expect(d.services['GET /weather']!.accepted).toBe(false);
    expect(d.services['GET /visits']).toMatchObject({ accepted: true, by: expect.any(String) });
    expect(Date.parse(d.services['GET /visits']!.at)).not.toBeNaN();
  });

  it('LIST: accepts and rejects the named ones, rejects the rest with a note; --json on stdout', async () => {
    const r = await edgstr(['--accept', 'GET /seats, get /visits', '--reject', 'POST /login', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/note: not mentioned and not decided before, so rejected/);
    const doc = JSON.parse(r.stdout) as { services: Array<{ id: string; accepted: boolean; notes: string[]; state: unknown; replicable: boolean }> };
    expect(doc.services.filter((s) => s.accepted).map((s) => s.id)).toEqual(['GET /seats', 'GET /visits']);
    const visits = doc.services.find((s) => s.id === 'GET /visits')!;
    expect(visits.notes).toContain('global visits: increments from all edges add up, but each edge shows its own count until synced.');
    expect(visits.state).toEqual({ reads: { tables: [], files: [], globals: ['visits'] }, writes: { tables: [], files: [], globals: ['visits'] } });
    expect(decisions().services['POST /login']!.accepted).toBe(false);
    expect((JSON.parse(r.stdout) as { leavesCloud: unknown }).leavesCloud).toEqual([
      {
        kind: 'table',
        name: 'seats',
        rows: 3,
        services: ['GET /seats'],
        note: 'the whole table seats (3 rows at analysis time) is copied to every edge, including rows other clients created',
      },
      { kind: 'global', name: 'visits', services: ['GET /visits'], note: 'the in-memory value of visits (shared by all clients) is copied to every edge' },
    ]);
  });

  // What decide() accepts or refuses is unit-tested in decide.test.ts; here, how the CLI reports one refusal.
  it('unknown service names: exit 1, one line naming them and the valid ids; nothing written', async () => {
    const r = await edgstr(['--accept', 'GET /seats,GET /nope']);
    expect(r.code).toBe(1);
    expect(oneLine(r)).toMatch(/^edgstr: --accept: unknown service "GET \/nope"; valid ids .*GET \/seats, POST \/seats\/:id\/book/);
    expect(existsSync(decisionsFile())).toBe(false);
  });

  it('corrupted or missing analysis.json: exit 1, one line naming the file', async () => {
    writeFileSync(join(ws.workdir, 'analysis.json'), '{"schemaVersion": 1, "services": [');
    let r = await edgstr(['--accept', 'all']);
    expect(r.code).toBe(1);
    expect(oneLine(r)).toMatch(/analysis\.json: analysis\.json is not valid JSON .*run `edgstr analyze` to \(re\)write it/);
    writeFileSync(join(ws.workdir, 'analysis.json'), JSON.stringify({ schemaVersion: 1, app: { dir: 'app', start: 'x', port: 1 }, services: [{ id: 'GET /' }] }));
    r = await edgstr(['--accept', 'all']);
    expect(r.code).toBe(1);
    expect(oneLine(r)).toMatch(/analysis\.json is invalid at services\.0\.method/);
    rmSync(join(ws.workdir, 'analysis.json'));
    r = await edgstr(['--accept', 'all']);
    expect(r.code).toBe(1);
    expect(oneLine(r)).toMatch(/no analysis\.json here; run `edgstr analyze`/);
  });

  it('corrupted decisions.json: exit 1, one line, the file left as it was', async () => {
    writeFileSync(decisionsFile(), '{"schemaVersion":1,"services":{"GET /seats":"maybe"}}');
    const r = await edgstr(['--accept', 'all']);
    expect(r.code).toBe(1);
    expect(oneLine(r)).toMatch(/decisions\.json is invalid at services\.GET \/seats.*fix it by hand or run `edgstr review` again/);
    expect(readFileSync(decisionsFile(), 'utf8')).toBe('{"schemaVersion":1,"services":{"GET /seats":"maybe"}}');
  });

  it('decisions.json round-trips and may be hand-edited with shorthands', async () => {
    expect((await edgstr(['--accept', 'GET /seats,GET /visits'])).code).toBe(0);
    const first = decisions();
    // A person flips two verdicts with the shorthands and adds a service id in lower case.
    const edited = { ...first, services: { ...first.services, 'GET /seats': false, 'get /health': 'accept' } };
    writeFileSync(decisionsFile(), JSON.stringify(edited));
    const r = await edgstr(['--reject', 'POST /login']);
    expect(r.code).toBe(0);
    const second = decisions();
    expect(second.services['GET /seats']!.accepted).toBe(false);
    expect(second.services['GET /health']!.accepted).toBe(true);
    expect(second.services['GET /visits']).toEqual(first.services['GET /visits']);
    expect(Object.keys(second.services).sort()).toEqual(Object.keys(first.services).sort());
    // Unchanged input gives an unchanged file.
    expect((await edgstr(['--reject', 'POST /login'])).code).toBe(0);
    expect(decisions()).toEqual(second);
  });

  it('--html writes one self-contained page with every service and the decisions', async () => {
    const r = await edgstr(['--accept', 'all', '--html', 'review.html']);
    expect(r.code).toBe(0);
    const html = readFileSync(join(ws.root, 'review.html'), 'utf8');
    for (const id of Object.keys(decisions().services)) expect(html).toContain(id);
    expect(html).toContain('the whole table seats (3 rows at analysis time) is copied to every edge');
    expect(html).toContain('rejected: forwarded to the cloud');
    expect(html).not.toMatch(/<script|<link|\ssrc=|url\(|@import|href="(?!#)/);
  });

  it('not a terminal and no --accept/--reject: exit 1 saying what to pass', async () => {
    const r = await edgstr([]);
    expect(r.code).toBe(1);
    expect(oneLine(r)).toMatch(/not a terminal: pass --accept all\|LIST and\/or --reject LIST/);
    expect(existsSync(decisionsFile())).toBe(false);
  });

  /**
   * Runs review on a pseudo-terminal (script(1)) and types `keys[i]` after the i-th question
   * ("[y/N] " or "[Y/n] ", repeated questions included). Resolves to the exit code and the screen.
   */
  async function onTerminal(keys: string[]): Promise<{ code: number; screen: string }> {
    const cmd = `${process.execPath} ${bin} review --workdir ${ws.workdir}`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: ws.root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.on('data', (b: Buffer) => (screen += b.toString()));
    const done = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      let asked = 0;
      const pending = [...keys];
      while (pending.length > 0 && child.exitCode === null) {
        const count = (screen.match(/\[(y\/N|Y\/n)\] /g) ?? []).length;
        if (count > asked) {
          asked = count;
          child.stdin.write(pending.shift()!);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return { code: await done, screen };
    } finally {
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }

  it.skipIf(!existsSync('/usr/bin/script'))('interactive on a terminal: y/n per service, then writes decisions.json', async () => {
    const { code, screen } = await onTerminal(['y\n', 'n\n', 'y\n', 'maybe\n', 'y\n', 'n\n', 'y\n', '\n']);
    expect(code, screen).toBe(0);
    expect(screen).toContain('[5/8] GET /weather  stateless, not replicable');
    expect(screen).toContain('please answer y or n');
    const acc = Object.entries(decisions().services)
      .filter(([, v]) => v.accepted)
      .map(([k]) => k)
      .sort();
    expect(acc).toEqual(['GET /seats', 'GET /visits', 'POST /login', 'POST /messages'].sort());
  });

  it.skipIf(!existsSync('/usr/bin/script'))('Ctrl-C in the middle: exit 1, one clear line, decisions.json untouched', async () => {
    writeFileSync(decisionsFile(), '{"schemaVersion":1,"services":{"GET /seats":true}}\n');
    const { code, screen } = await onTerminal(['n\n', '\u0003']);
    expect(code, screen).toBe(1);
    expect(screen).toMatch(/edgstr: review interrupted before every service was decided; decisions.json was not changed/);
    expect(readFileSync(decisionsFile(), 'utf8')).toBe('{"schemaVersion":1,"services":{"GET /seats":true}}\n');
  });
});
