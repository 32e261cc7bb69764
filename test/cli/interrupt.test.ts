/**
 * src/util/interrupt.ts on its own, in a child node process: on SIGTERM/SIGINT it stops the
 * registered process group (including grandchildren), children started without a group of their
 * own, removes the registered dirs, runs the registered steps, prints one line and exits 143/130;
 * unregistered things are left alone.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const moduleUrl = new URL('../../dist/util/interrupt.js', import.meta.url).href;
const root = mkdtempSync(join(tmpdir(), 'edgstr-interrupt-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/**
 * The child: a detached `sh` group with a sleeping grandchild (registered), a plain child
 * `sleep` (not registered: found as a descendant), a registered dir, a dir registered and then
 * unregistered, and a step. It prints the pids, then waits for the signal.
 */
const CHILD = `
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
const { handleInterrupts, killOnInterrupt, removeOnInterrupt, onInterrupt } = await import(process.env.MOD);
handleInterrupts();
const dir = process.env.DIR;
mkdirSync(dir + '/temp', { recursive: true });
mkdirSync(dir + '/kept', { recursive: true });
removeOnInterrupt(dir + '/temp');
removeOnInterrupt(dir + '/kept')();
onInterrupt('ran the step', () => { mkdirSync(dir + '/step-ran'); });
const group = spawn('sh', ['-c', 'sleep 300 & wait'], { detached: true, stdio: 'ignore' });
killOnInterrupt(group.pid);
const plain = spawn('sleep', ['300'], { stdio: 'ignore' });
setTimeout(() => process.stdout.write(JSON.stringify({ group: group.pid, plain: plain.pid }) + '\\n'), 300);
setInterval(() => undefined, 1000);
`;

async function run(sig: 'SIGINT' | 'SIGTERM'): Promise<{ code: number | null; stderr: string; dir: string; pids: number[] }> {
  const dir = join(root, sig);
  mkdirSync(dir, { recursive: true });
  const script = join(dir, 'child.mjs');
  writeFileSync(script, CHILD);
  const child = spawn(process.execPath, [script], { env: { ...process.env, MOD: moduleUrl, DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const pids = await new Promise<{ group: number; plain: number }>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes('\n')) resolve(JSON.parse(stdout) as { group: number; plain: number });
    });
    child.once('exit', () => reject(new Error(`child exited early: ${stderr}`)));
  });
  // the group's grandchild: the sleep under the detached sh
  await new Promise((r) => setTimeout(r, 200));
  const grandchildren = readFileSync(`/proc/${pids.group}/task/${pids.group}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  expect(grandchildren.length, 'the sh started its sleep').toBe(1);
  const all = [pids.group, pids.plain, ...grandchildren];
  for (const p of all) expect(alive(p)).toBe(true);
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', (c) => resolve(c));
    child.kill(sig);
  });
  return { code, stderr, dir, pids: all };
}

describe.skipIf(!existsSync('/proc/self/stat'))('interrupt cleanup', () => {
  for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`${sig}: stops the group and plain children, removes what is registered, one line, exit ${code}`, async () => {
      const r = await run(sig);
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toBe(`edgstr: interrupted; ran the step, removed ${join(r.dir, 'temp')}, stopped 3 processes\n`);
      for (const p of r.pids) expect(alive(p), `process ${p} still running`).toBe(false);
      expect(existsSync(join(r.dir, 'temp'))).toBe(false);
      expect(existsSync(join(r.dir, 'kept')), 'an unregistered dir stays').toBe(true);
      expect(existsSync(join(r.dir, 'step-ran'))).toBe(true);
    }, 20_000);
  }
});
