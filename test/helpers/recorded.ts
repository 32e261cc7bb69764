/**
 * Each subject is recorded once per test run, not once per test file: the first test that asks
 * for a subject's traffic records it (subject + in-process recorder + its regression client, as
 * recordSubject does) into a cache entry keyed by the subject and a hash of its source; every
 * later caller, in any worker, gets the same HAR and the client's lines.
 *
 * The cache lives in a directory the run owns: test/helpers/global-setup.ts makes it before the
 * e2e tier starts, hands it to the workers (vitest `provide`/`inject`) and removes it at the end.
 * A file run outside that setup gets a directory of its own process instead.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { inject } from 'vitest';
import type { ClientResult } from './client.js';
import { recordSubject } from './record-subject.js';
import { acquireLock, subjectDir } from './subjects.js';

/** A subject's recorded traffic, shared by the whole run: read it or copy it, never write it. */
export interface Recording {
  /** The HAR (read-only). */
  har: string;
  /** The regression client's request lines ("METHOD /path?query -> STATUS"), in its order. */
  lines: string[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's cache directory (test/helpers/global-setup.ts). */
    edgstrRunDir: string;
  }
}

let ownDir: string | undefined;

function runDir(): string {
  let dir: string | undefined;
  try {
    dir = inject('edgstrRunDir');
  } catch {
    dir = undefined; // not inside a vitest worker
  }
  if (dir) return dir;
  if (!ownDir) {
    const made = mkdtempSync(join(tmpdir(), 'edgstr-run-'));
    ownDir = made;
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  }
  return ownDir;
}

/**
 * Hash of the subject's source: the files git tracks in it (else every file but node_modules/ and
 * data/), so that what a running copy writes (uploads, logs) does not change the key. A file that
 * vanishes while it is read (a reset in another worker) counts as absent.
 */
export function sourceHash(dir: string): string {
  const h = createHash('sha256');
  for (const rel of sourceFiles(dir)) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(dir, rel));
    } catch {
      continue;
    }
    h.update(rel).update('\0').update(bytes).update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

function sourceFiles(dir: string): string[] {
  const git = spawnSync('git', ['ls-files', '-z', '.'], { cwd: dir, encoding: 'utf8' });
  if (git.status === 0 && git.stdout.length > 0) return git.stdout.split('\0').filter(Boolean).sort();
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === '.git' || (d === dir && e.name === 'data')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * The traffic of subject NAME's regression client, recorded once per run. Throws (with the
 * client's and the server's output) when the recording fails; a later caller then tries again.
 */
export async function recordedTraffic(name: string): Promise<Recording> {
  const entry = join(runDir(), `${name.replace(/[^\w.-]/g, '_')}-${sourceHash(subjectDir(name))}`);
  const done = join(entry, 'client-lines.json');
  const har = join(entry, 'traffic.har');
  if (!existsSync(done)) {
    mkdirSync(runDir(), { recursive: true });
    const release = await acquireLock(`${entry}.lock`, 600_000);
    try {
      if (!existsSync(done)) {
        const scratch = `${entry}.partial`;
        rmSync(scratch, { recursive: true, force: true });
        mkdirSync(scratch, { recursive: true });
        let client: ClientResult | undefined;
        await recordSubject(name, join(scratch, 'traffic.har'), { onClient: (r) => (client = r) });
        writeFileSync(join(scratch, 'client-lines.json'), JSON.stringify(client?.lines ?? []));
        renameSync(scratch, entry);
      }
    } finally {
      release();
    }
  }
  return { har, lines: JSON.parse(readFileSync(done, 'utf8')) as string[] };
}
