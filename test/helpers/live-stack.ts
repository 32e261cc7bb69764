/**
 * Issue 4's "Done means", literally, on a generated system (`edgstr generate --edges 2` output):
 *   - start the cloud and two edges on loopback;
 *   - the subject's regression client passes against edge 1, then against edge 2 (whose state
 *     then already holds edge 1's writes);
 *   - a write through edge 1 is visible through edge 2 and the cloud, and a write made directly
 *     at the cloud reaches both edges, each within a bound (times measured and returned);
 *   - concurrent creates at the two edges both survive;
 *   - all three replicas end with identical tables, files (checkConvergence) and globals (the
 *     replicas' persisted Automerge documents, which hold the replicated globals).
 * The write is picked from the recorded traffic (see ./probe.ts), so every subject is covered
 * by the same code.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { checkConvergence, type ConvergenceReport } from '../../src/verify/converge.js';
import { replayEntry, type ReplayedResponse } from '../../src/verify/replay.js';
import { ensureInstalled, startStack, type Replica, type RunningStack } from '../../src/verify/stack.js';
import { readAnalysis } from '../../src/model/analysis.js';
import { SessionMap } from '../../src/model/credentials.js';
import { readTraffic, isFailedEntry } from '../../src/model/traffic.js';
import { runClient } from './client.js';
import { absentPath, pickProbe, readPath, variantOf, type Probe } from './probe.js';
import { globalsDifferences, stateSize } from './replica-state.js';

export interface LiveStackOptions {
  /** Upper bound for a write to become visible on another replica, ms. */
  visibleWithinMs: number;
  /** How long the replicas may take to become identical after the last write, ms. */
  convergeWithinMs?: number;
  log?: (line: string) => void;
}

export interface LiveStackReport {
  probe: string;
  /** ms from the acknowledged write at edge 1 until edge 2 / the cloud answered it. */
  edgeWrite: Record<string, number>;
  /** ms from the acknowledged write at the cloud until each edge answered it. */
  cloudWrite: Record<string, number>;
  /** ms from both concurrent writes being acknowledged until all replicas were identical. */
  concurrentConverged: number;
  /** How many of the two concurrent writes every replica holds (2 unless a known gap hit). */
  concurrentSurvived: number;
  clientRequests: Record<string, number>;
}

const POLL_MS = 20;

/** Polls `probe` until it returns true or `limitMs` pass; returns the elapsed ms, or null. */
async function timeUntil(probe: () => Promise<boolean>, limitMs: number, since = performance.now()): Promise<number | null> {
  for (;;) {
    if (await probe()) return Math.round(performance.now() - since);
    if (performance.now() - since > limitMs) return null;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The answer's status and body, or null when the replica does not answer. */
async function answerOf(replica: Replica, path: string): Promise<string | null> {
  try {
    const res = await fetch(new URL(path, replica.process.url), { signal: AbortSignal.timeout(2_000) });
    return `${res.status} ${await res.text()}`;
  } catch {
    return null;
  }
}

async function answers(replica: Replica, path: string): Promise<boolean> {
  try {
    const res = await fetch(new URL(path, replica.process.url), { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status >= 200 && res.status < 300;
  } catch {
    return false;
  }
}

/** Tables and files identical (checkConvergence) and the globals' documents identical. */
async function identical(stack: RunningStack, dataDirs: string[]): Promise<{ ok: boolean; differences: string[]; report: ConvergenceReport }> {
  const report = await checkConvergence(stack);
  const unreported = report.replicas.filter((r) => r.docs === null).map((r) => `${r.name} did not report its CRDT documents' heads (/__edgstr/health?docs)`);
  const differences = [...report.differences, ...unreported, ...globalsDifferences(dataDirs, stack.config.globals)];
  return { ok: differences.length === 0, differences, report };
}

function describeStack(stack: RunningStack): string {
  return [stack.cloud, ...stack.edges].map((r) => `--- ${r.name}:\n${r.process.tail()}`).join('\n');
}

interface Written {
  res: ReplayedResponse;
  at: number;
  id: string | null;
  /** The writer's answer to probe.stateRead right after the write (null without one). */
  stateAnswer: string | null;
}

/**
 * One probe write at `replica`. With `readYourWrite`, the writer's own state read must change
 * with it. Only for writes with nothing else in flight: probe writes may add identical entries
 * (medchem's history gets the same line for the same formula), so when another replica's
 * concurrent write arrives just before the "before" read, a read of the last few entries shows
 * the same lines before and after (seen in CI). Concurrent writes are checked by what survives.
 */
async function write(replica: Replica, probe: Probe, tag: string, stack: RunningStack, readYourWrite: boolean): Promise<Written> {
  // A probe that needs a login (a recorded session) logs in at this replica first.
  const sessions = new SessionMap();
  for (const login of probe.logins) await replayEntry(replica.process.url, login, undefined, 30_000, sessions);
  const before = probe.stateRead ? await answerOf(replica, probe.stateRead) : null;
  const res = await replayEntry(replica.process.url, variantOf(probe, tag), undefined, 30_000, sessions);
  const at = performance.now();
  const stateAnswer = probe.stateRead ? await answerOf(replica, probe.stateRead) : null;
  if (probe.stateRead && readYourWrite) {
    // The processes' output says whether the write was served locally or forwarded (and why).
    expect(stateAnswer, `GET ${probe.stateRead} at ${replica.name} does not show ${probe.label} (answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)})\nbefore: ${before}\nafter: ${stateAnswer}\n${describeStack(stack)}`).not.toBe(before);
  }
  expect(res.status, `${probe.label} (${tag}) at ${replica.name}: ${JSON.stringify(res.body).slice(0, 300)}`).toBeGreaterThanOrEqual(200);
  expect(res.status, `${probe.label} (${tag}) at ${replica.name}: ${JSON.stringify(res.body).slice(0, 300)}`).toBeLessThan(300);
  const body = res.body as { id?: unknown } | null;
  const id = body !== null && typeof body === 'object' && (typeof body.id === 'string' || typeof body.id === 'number') ? String(body.id) : null;
  return { res, at, id, stateAnswer };
}

export async function checkLiveStack(subject: string, outDir: string, workdir: string, opts: LiveStackOptions): Promise<LiveStackReport> {
  const log = opts.log ?? (() => undefined);
  const converge = opts.convergeWithinMs ?? 10_000;
  const entries = readTraffic(join(workdir, 'traffic.har')).log.entries.filter((e) => !isFailedEntry(e));
  const probe = pickProbe(entries, readAnalysis(join(workdir, 'analysis.json')).services);
  const how = probe.readTemplate ? `read back with GET ${probe.readTemplate}` : probe.stateRead ? `read back with GET ${probe.stateRead}, whole answer` : 'seen by comparing replica state';
  log(`${subject}: probe write ${probe.label}, ${how}`);
  await ensureInstalled(join(outDir, 'cloud'), log);
  await ensureInstalled(join(outDir, 'edge'), log);
  const scratch = mkdtempSync(join(tmpdir(), `edgstr-live-${subject}-`));
  const t0 = performance.now();
  const phase = (what: string): void => log(`${subject}: ${what} at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const stack = await startStack(outDir, join(scratch, 'system'), 2);
  const dataDirs = [join(scratch, 'system', 'cloud-data'), ...stack.edges.map((e) => join(scratch, 'system', e.name))];
  const [edge1, edge2] = stack.edges as [Replica, Replica];
  const replicas = [stack.cloud, edge1, edge2];
  const waitIdentical = async (what: string, since?: number): Promise<number> => {
    let last: Awaited<ReturnType<typeof identical>> | undefined;
    const ms = await timeUntil(async () => (last = await identical(stack, dataDirs)).ok, converge, since);
    expect(ms, `${what}: replicas still differ after ${converge} ms:\n${last?.differences.join('\n')}\n${describeStack(stack)}`).not.toBeNull();
    return ms!;
  };
  try {
    phase('cloud and 2 edges up');
    // The regression client, through edge 1 and then through edge 2.
    const clientRequests: Record<string, number> = {};
    for (const edge of [edge1, edge2]) {
      const run = await runClient(subject, edge.process.url);
      expect(run.code, `client of ${subject} through ${edge.name} failed:\n${run.stdout.slice(-1500)}\n${run.stderr.slice(-1500)}\n${describeStack(stack)}`).toBe(0);
      clientRequests[edge.name] = run.lines.length;
      // Edge 2's run starts from a state that already holds edge 1's writes.
      await waitIdentical(`after the client through ${edge.name}`);
      phase(`client through ${edge.name} passed, replicas identical`);
    }
    if (probe.readTemplate) {
      for (const r of replicas) expect(await answers(r, absentPath(probe)), `${r.name}: ${absentPath(probe)} must not answer 2xx, or reading back proves nothing`).toBe(false);
    }

    // A write through edge 1, seen through edge 2 and the cloud.
    const sizeBefore = stateSize(edge1.appDir, stack.config);
    const w1 = await write(edge1, probe, 'alpha', stack, true);
    const sameState = async (): Promise<boolean> => (await identical(stack, dataDirs)).ok;
    const edgeWrite = await seenAt(probe, w1, [edge2, stack.cloud], opts.visibleWithinMs, stack, sameState);
    await waitIdentical(`after ${probe.label} at ${edge1.name}`);
    phase('write through edge-1 seen everywhere');
    const perWrite = stateSize(edge1.appDir, stack.config) - sizeBefore;
    expect(perWrite, `${probe.label} changed no replicated row or file line at ${edge1.name}`).toBeGreaterThan(0);

    // A write made directly at the cloud reaches both edges.
    const w2 = await write(stack.cloud, probe, 'bravo', stack, true);
    const cloudWrite = await seenAt(probe, w2, [edge1, edge2], opts.visibleWithinMs, stack, sameState);
    await waitIdentical(`after ${probe.label} at the cloud`);
    phase('write at the cloud seen everywhere');

    // Concurrent creates at both edges both survive, and the replicas end identical.
    const sizes = replicas.map((r) => stateSize(r.appDir, stack.config));
    const [c1, c2] = await Promise.all([write(edge1, probe, 'charlie', stack, false), write(edge2, probe, 'delta', stack, false)]);
    if (c1.id !== null || c2.id !== null) expect(c1.id, 'concurrent creates got the same id').not.toBe(c2.id);
    const concurrentConverged = await waitIdentical('after concurrent creates at both edges', Math.max(c1.at, c2.at));
    const grown = replicas.map((r, i) => stateSize(r.appDir, stack.config) - sizes[i]!);
    const concurrentSurvived = grown[0]! / perWrite;
    for (const [i, r] of replicas.entries()) {
      expect(grown[i], `${r.name}: both concurrent creates are in its state (rows + file lines grew by 2 x ${perWrite})`).toBe(2 * perWrite);
      if (probe.readTemplate) {
        for (const c of [c1, c2]) expect(await answers(r, readPath(probe, c.id!)), `${r.name} answers ${readPath(probe, c.id!)}`).toBe(true);
      }
    }
    phase('propagation and concurrent creates checked');
    return { probe: probe.label, edgeWrite, cloudWrite, concurrentConverged, concurrentSurvived, clientRequests };
  } finally {
    await stack.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Times until each replica shows the write: with an id and a read route, the replica answers the
 * read; with a state read, it answers it as the writer did right after the write; otherwise all
 * replicas' tables, files and globals are identical (the writer's changed: the caller checks
 * that the write grew its state).
 */
async function seenAt(
  probe: Probe,
  w: Written,
  targets: Replica[],
  limitMs: number,
  stack: RunningStack,
  sameState: () => Promise<boolean>,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const path = probe.readTemplate && w.id !== null ? readPath(probe, w.id) : null;
  await Promise.all(
    targets.map(async (r) => {
      const stateRead = probe.stateRead;
      const ms =
        path !== null
          ? await timeUntil(() => answers(r, path), limitMs, w.at)
          : stateRead !== null
            ? await timeUntil(async () => (await answerOf(r, stateRead)) === w.stateAnswer, limitMs, w.at)
            : await timeUntil(sameState, limitMs, w.at);
      expect(ms, `${probe.label}: not visible at ${r.name} (${path ?? stateRead ?? 'state'}) within ${limitMs} ms\n${describeStack(stack)}`).not.toBeNull();
      out[r.name] = ms!;
    }),
  );
  return out;
}
