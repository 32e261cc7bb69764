/**
 * `edgstr verify`: the generated system answers as the original did, and its replicas converge.
 *
 *  1. volatile places: the recorded traffic is replayed twice against fresh copies of the cloud
 *     (the original app) — where the two answers differ from each other (timestamps, random
 *     tokens) is masked, and where the recording holds a redaction token (an issued secret). A
 *     field where both replays agree with each other but not with the recording is not volatile:
 *     it means the generated system started from another state than the recording did (analyze
 *     ran on today's data, not the recorded init state), and it fails;
 *  2. a fresh cloud and N edges start; every recorded request is replayed in order through the
 *     edges (round robin, waiting for the replicas to settle before switching edges, because a
 *     read at edge 2 may follow a write at edge 1), and each answer is compared with the recording;
 *  3. convergence: replicated tables, files and CRDT documents are identical on every replica.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAnalysis, trafficFileFor } from '../model/analysis.js';
import { compileServiceMatcher } from '../model/service-id.js';
import { isFailedEntry, readTraffic, requestOf, type HarEntry } from '../model/traffic.js';
import { EchoMap, sentInRecording } from '../model/echoed.js';
import { UserError } from '../model/errors.js';
import { removeOnInterrupt } from '../util/interrupt.js';
import { fetchHealth } from '../util/health-client.js';
import { isRedactionToken, legacyRedactionWarning, SessionMap, unresolvedCredentialMessage } from '../model/credentials.js';
import { compareResponses, leaves, volatilePaths, type Difference } from './compare.js';
import { IdMap, edgeAllocated } from './id-map.js';
import { checkConvergence, type ConvergenceReport } from './converge.js';
import { summarizeServed, type ServedReport } from './served.js';
import { entryPath, recordedResponse, replayEntry, type EchoReplay } from './replay.js';
import { ensureInstalled, readGenerated, startCloudOnly, startStack } from './stack.js';
import type { Started } from './processes.js';

export interface VerifyOptions {
  workdir: string;
  outDir: string;
  /** How many edges to start; default: as many as `generate --edges` wrote configs for. */
  edges?: number;
  /** The recorded traffic to replay (default: the traffic analyze used, see trafficFileFor). */
  traffic?: string;
  /** One-way WAN delay between each edge and the cloud, in ms (default 0: loopback). */
  wanDelayMs?: number;
  log?: (msg: string) => void;
}

export interface RequestResult {
  index: number;
  service: string;
  method: string;
  path: string;
  edge: string;
  ok: boolean;
  statusExpected: number;
  statusActual: number;
  masked: number;
  differences: Difference[];
  /** Where the edge served it (x-edgstr-served: edge, cloud or fallback). */
  served?: string;
  error?: string;
}

export interface VerifyReport {
  schemaVersion: 1;
  outDir: string;
  edges: number;
  /** One-way WAN delay the edges had to the cloud, in ms (0: loopback). */
  wanDelayMs: number;
  requests: RequestResult[];
  convergence: ConvergenceReport;
  /** Where the edges served each service; fails when an accepted one was not answered at the edge. */
  served: ServedReport;
  services: Array<{ id: string; passed: number; failed: number }>;
  /** Replayed requests whose answer matched the recording (the convergence check is not one). */
  passed: number;
  failed: number;
  /** Switches between edges after which the replicas had not settled within the wait (a slow sync). */
  unsettled: number;
  /**
   * Answers of the original (the generated cloud alone) whose status differed from the recording
   * in every attempt of a replay round (e.g. it started from another state than the recording).
   */
  originalUnstable?: string[];
  /** When something failed: the last lines each process printed (name -> lines). */
  logs?: Record<string, string>;
}

function serviceOf(entry: HarEntry, match: (method: string, path: string) => { id: string } | undefined): string {
  const m = match(entry.request.method, entryPath(entry).split('?')[0]!);
  return m ? m.id : `${entry.request.method} (not an analyzed service)`;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export async function verifyGenerated(opts: VerifyOptions): Promise<VerifyReport> {
  const log = opts.log ?? (() => undefined);
  const analysis = readAnalysis(join(opts.workdir, 'analysis.json'));
  const trafficFile = trafficFileFor(opts.workdir, opts.traffic);
  const har = readTraffic(trafficFile);
  const entries = har.log.entries.filter((e) => !isFailedEntry(e));
  if (entries.length === 0) throw new UserError(`${trafficFile}: no successful exchange to replay; record traffic again`);
  const legacy = legacyRedactionWarning(entries);
  if (legacy) log(legacy);
  const generated = readGenerated(opts.outDir);
  const edgeCount = opts.edges ?? Math.max(1, generated.edges.length);
  // Edges without a config of their own would share a key range and collide on inserts.
  if (edgeCount > Math.max(1, generated.edges.length)) {
    throw new UserError(`--edges ${edgeCount}: ${opts.outDir} was generated for ${Math.max(1, generated.edges.length)} edge(s); run \`edgstr generate --edges ${edgeCount}\` first`);
  }
  await ensureInstalled(join(opts.outDir, 'cloud'), log);
  await ensureInstalled(join(opts.outDir, 'edge'), log);
  const matchers = compileServiceMatcher(analysis.services);
  const scratch = mkdtempSync(join(tmpdir(), 'edgstr-verify-'));
  const forgetScratch = removeOnInterrupt(scratch);
  try {
    // 1. Volatile places, from two replays against the original.
    const runs: unknown[][] = entries.map(() => []);
    const originalUnstable: string[] = [];
    for (let round = 1; round <= 2; round++) {
      const replay = await replayOriginal(opts.outDir, join(scratch, `original-${round}`), entries, round, log);
      if (replay.mismatches.length > 0) originalUnstable.push(...replay.mismatches.map((m) => `round ${round}: ${m}`));
      replay.bodies.forEach((b, i) => runs[i]!.push(b));
    }
    const volatile = runs.map((r, i) => {
      const v = volatilePaths(r);
      for (const l of leaves(recordedResponse(entries[i]!).body)) if (isRedactionToken(l.value)) v.add(l.path);
      return v;
    });

    // 2. Through the edges.
    const wan = opts.wanDelayMs ? `, ${opts.wanDelayMs} ms one way from each edge` : '';
    log(`starting the cloud and ${edgeCount} edge(s)${wan}`);
    const stack = await startStack(opts.outDir, join(scratch, 'system'), edgeCount, { wanDelayMs: opts.wanDelayMs ?? 0 });
    const requests: RequestResult[] = [];
    let convergence: ConvergenceReport;
    let served: ServedReport;
    let unsettled = 0;
    let logs: Record<string, string> = {};
    try {
      const ids = new IdMap(edgeAllocated);
      const sessions = new SessionMap();
      const echo = echoReplay(entries);
      let previous = -1;
      for (const [i, e] of entries.entries()) {
        const k = i % stack.edges.length;
        const edge = stack.edges[k]!;
        if (previous !== -1 && previous !== k && !(await settle(stack.cloud.process.url, stack.edges.map((x) => x.process.url)))) {
          unsettled++;
          log(`the replicas had not settled before request ${i + 1}; replaying it anyway`);
        }
        previous = k;
        const service = serviceOf(e, matchers);
        const base = { index: i, service, method: e.request.method, path: entryPath(e), edge: edge.name };
        try {
          const r = await replayEntry(edge.process.url, e, ids, undefined, sessions, echo);
          const c = compareResponses(recordedResponse(e), r, volatile[i]!, ids, WRITE_METHODS.has(e.request.method), entryPath(e));
          const why = !c.ok && r.unresolved.length > 0 ? { error: unresolvedCredentialMessage(`request #${i + 1} ${base.method} ${base.path}`, r.unresolved) } : {};
          requests.push({ ...base, ok: c.ok, statusExpected: c.statusExpected, statusActual: c.statusActual, masked: c.masked, differences: c.differences.slice(0, 5), ...why, ...(r.served ? { served: r.served } : {}) });
        } catch (err) {
          const dead = [stack.cloud, ...stack.edges].find((x) => x.process.exitCode() !== null);
          const error = dead ? `${(err as Error).message}: ${dead.name} exited with code ${dead.process.exitCode()}; its output ends with:\n${dead.process.tail()}` : (err as Error).message;
          requests.push({ ...base, ok: false, statusExpected: e.response.status, statusActual: 0, masked: 0, differences: [], error });
        }
        log(`${requests.length}/${entries.length} ${base.method} ${base.path} via ${edge.name}: ${requests.at(-1)!.ok ? 'ok' : 'DIFFERENT'}`);
      }
      // 3. Convergence.
      if (!(await settle(stack.cloud.process.url, stack.edges.map((x) => x.process.url)))) unsettled++;
      convergence = await checkConvergence(stack);
      served = summarizeServed(await Promise.all(stack.edges.map(async (x) => ({ name: x.name, health: await fetchHealth(x.process.url) }))));
      logs = Object.fromEntries([stack.cloud, ...stack.edges].map((x) => [x.name, x.process.tail()]));
    } finally {
      await stack.stop();
    }
    const services = new Map<string, { passed: number; failed: number }>();
    for (const r of requests) {
      const s = services.get(r.service) ?? { passed: 0, failed: 0 };
      if (r.ok) s.passed++;
      else s.failed++;
      services.set(r.service, s);
    }
    // Requests only: convergence is its own verdict (report.convergence.ok), not one more request.
    const passed = requests.filter((r) => r.ok).length;
    const failed = requests.length - passed;
    return {
      schemaVersion: 1,
      outDir: opts.outDir,
      edges: edgeCount,
      wanDelayMs: opts.wanDelayMs ?? 0,
      requests,
      convergence,
      served,
      services: [...services].map(([id, s]) => ({ id, ...s })).sort((a, b) => a.id.localeCompare(b.id)),
      passed,
      failed,
      unsettled,
      ...(originalUnstable.length > 0 ? { originalUnstable } : {}),
      ...(failed > 0 || !convergence.ok ? { logs } : {}),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    forgetScratch();
  }
}

const ORIGINAL_ATTEMPTS = 3;

/** A fresh map of issued tokens (anti-forgery tokens) for one replay of the recording. */
function echoReplay(entries: readonly HarEntry[]): EchoReplay {
  return { map: new EchoMap(), wanted: sentInRecording(entries.map((e) => requestOf(e))) };
}

/**
 * One replay of the whole recording against the original (the generated cloud alone, from its
 * initial state), for finding volatile fields. An answer whose status differs from the
 * recording is not a volatile field but a run gone wrong (the original failed under load, say):
 * everything after it would differ too and be masked. Such a round is replayed again, from a
 * fresh start, up to ORIGINAL_ATTEMPTS times; the last attempt is used either way.
 */
async function replayOriginal(
  outDir: string,
  scratch: string,
  entries: HarEntry[],
  round: number,
  log: (m: string) => void,
): Promise<{ bodies: unknown[]; mismatches: string[] }> {
  for (let attempt = 1; ; attempt++) {
    log(`replay ${round}/2 against the original (cloud) to find volatile fields${attempt > 1 ? `, attempt ${attempt}` : ''}`);
    const cloud = await startCloudOnly(outDir, `${scratch}-${attempt}`);
    const bodies: unknown[] = [];
    const mismatches: string[] = [];
    try {
      const ids = new IdMap();
      const sessions = new SessionMap();
      const echo = echoReplay(entries);
      for (const [i, e] of entries.entries()) {
        const r = await replayEntry(cloud.process.url, e, ids, undefined, sessions, echo).catch(async (err: unknown) => {
          throw await explainFailure(cloud.process, `${e.request.method} ${entryPath(e)}`, err);
        });
        compareResponses(recordedResponse(e), r, new Set(), ids, WRITE_METHODS.has(e.request.method), entryPath(e));
        if (r.status !== e.response.status) mismatches.push(`#${i} ${e.request.method} ${entryPath(e)}: status ${e.response.status} -> ${r.status}`);
        bodies.push(r.body);
      }
      if (mismatches.length > 0) {
        log(`the original answered ${mismatches.length} request(s) with another status than recorded (first: ${mismatches[0]}); its last lines:\n${cloud.process.tail()}`);
      }
    } finally {
      await cloud.stop();
    }
    if (mismatches.length === 0 || attempt === ORIGINAL_ATTEMPTS) return { bodies, mismatches };
  }
}

/**
 * A request the original could not answer at all: when its process died (a crash on that
 * request, say), the message is its exit code and last lines, not the client's "fetch failed".
 */
async function explainFailure(process: Started, request: string, err: unknown): Promise<Error> {
  // The exit (of npm, after the app) may trail the reset connection: wait for it, briefly.
  for (let waited = 0; process.exitCode() === null && waited < 3_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
  const code = process.exitCode();
  if (code === null) return err instanceof Error ? err : new Error(String(err));
  return new UserError(`the original app (generated cloud) exited with code ${code} while answering ${request}; its output ends with:\n${process.tail()}`);
}

/**
 * Waits until every replica reports nothing pending twice in a row (or 10 s pass): the point where
 * a request at another edge sees the effects of the ones before it. Bounded: a replica that
 * never reports quiet costs at most `timeoutMs` per switch, and a missed sync shows as a difference.
 */
export async function settle(cloudUrl: string, edgeUrls: string[], timeoutMs = 4_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  let quiet = 0;
  while (Date.now() < end) {
    const all = await Promise.all([cloudUrl, ...edgeUrls].map((url) => fetchHealth(url)));
    const idle = all.every((h) => h !== null && h.pendingChanges === 0);
    quiet = idle ? quiet + 1 : 0;
    if (quiet >= 2) return true;
    await new Promise((r) => setTimeout(r, 60));
  }
  return false;
}
