/**
 * The HTTP side of adaptive placement (see placement.ts for the rule):
 *   - at the edge: the placement API (`GET/PUT /__edgstr/placement`, bearer = the sync secret),
 *     the samples a forwarded answer gives, the background loop (sync pings, probes of the side
 *     not in use) and the test-only local delay;
 *   - at the cloud: `x-edgstr-service-ms` on every answer (the app's own time).
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Placement, SERVICE_MS_HEADER, placementOptionsFromEnv, type PlacedService, type Side } from './placement.js';
import { tokenMatches } from './sync/auth.js';
import type { Connection } from './sync/transport.js';

export const PLACEMENT_PATH = '/__edgstr/placement';
const MAX_BODY = 16 * 1024;

/** The edge's placement of its accepted services, configured from the environment. */
export function createPlacement(services: readonly (string | PlacedService)[], env: NodeJS.ProcessEnv, log: (line: string) => void): Placement {
  const { enabled, options } = placementOptionsFromEnv(env);
  if (env.EDGSTR_PLACEMENT && env.EDGSTR_PLACEMENT !== 'adaptive' && env.EDGSTR_PLACEMENT !== 'review') {
    log(`edgstr edge: EDGSTR_PLACEMENT=${env.EDGSTR_PLACEMENT} is neither "adaptive" nor "review"; using review (accepted services stay at the edge)`);
  }
  if (enabled) log(`edgstr edge: adaptive placement on (minimum stay ${options.minStayMs} ms, ping every ${options.pingEveryMs} ms, background probes every ${options.probeEveryMs} ms)`);
  return new Placement(services, options, performance.now(), enabled, log);
}

/** What the background loop needs from the edge (see {@link startPlacementLoop}). */
export interface PlacementHooks {
  /** The edge's sync connections (the replica's peers); the one to the cloud is pinged. */
  connections(): Iterable<Connection>;
  /** Sends the service's last request to the cloud and discards the answer; samples via {@link noteForwarded}. */
  probeCloud(serviceId: string): Promise<void>;
  /** Runs the service's last request locally and discards the answer (a read-only service); samples via noteLocal. */
  shadowLocal(serviceId: string): Promise<void>;
}

/** How often the loop looks for due probes and overdue pings, ms: cheap (a walk over the placed services). */
const PROBE_TICK_MS = 100;
/** An outstanding ping counts as a lower bound once older than max(2 × estimate, estimate + this), ms. */
const BOUND_SLACK_MS = 100;
const MAX_BOUNDS_PER_PING = 2;
/** A cloud that answers no ping at all does not pile them up. */
const MAX_PINGS_IN_FLIGHT = 8;

/**
 * The edge's background measurements, off every client's path (adaptive placement only):
 *   - a ping over the sync connection every `pingEveryMs` (a few may be in flight); while the
 *     oldest is outstanding well past the estimate of when it was sent, its age is a lower bound of the round trip and
 *     is fed as a sample (at most twice per ping, 100 ms apart: two far samples in a row are a
 *     level shift), so a WAN that got slower is seen before the slow answer arrives;
 *   - the probes {@link Placement.dueProbes} asks for (read-only services, one in flight each).
 * Returns a function that stops it.
 */
export function startPlacementLoop(placement: Placement, hooks: PlacementHooks, log: (line: string) => void): () => void {
  if (!placement.adaptive) return () => undefined;
  const { pingEveryMs } = placement.options;
  // Pings in flight, oldest first: each its send time, the estimate then, and the lower bounds it fed.
  const inFlight: { sentAt: number; expected: number | null; bounds: number }[] = [];
  const ping = (): void => {
    const connection = [...hooks.connections()].find((c) => c.remoteId === 'cloud' && c.ping);
    if (!connection?.ping || inFlight.length >= MAX_PINGS_IN_FLIGHT) return;
    // Not one at a time: a ping sent just after the WAN got faster answers at once, even while
    // an older one is still held by the slow link.
    const entry = { sentAt: performance.now(), expected: placement.rttMs(), bounds: 0 };
    inFlight.push(entry);
    const settle = (): void => {
      inFlight.splice(inFlight.indexOf(entry), 1);
    };
    connection.ping(Math.max(10_000, 20 * pingEveryMs)).then(
      (ms) => {
        settle();
        // An older ping answered after a newer one is not a sample (Placement.noteRtt). Lower
        // bounds already fed stand for this answer's slowness; the answer refines them.
        placement.noteRtt(ms, performance.now());
      },
      settle,
    );
  };
  /** The oldest ping, well past the estimate: its age is a lower bound (two are a level shift, see Estimate). */
  const bound = (now: number): void => {
    const oldest = inFlight[0];
    if (!oldest || oldest.bounds >= MAX_BOUNDS_PER_PING || oldest.expected === null) return;
    const age = now - oldest.sentAt;
    if (age > Math.max(2 * oldest.expected, oldest.expected + BOUND_SLACK_MS)) {
      placement.noteRtt(age, now);
      oldest.bounds++;
    }
  };
  const probe = (): void => {
    const now = performance.now();
    bound(now);
    for (const { serviceId, side } of placement.dueProbes(now)) {
      const run = side === 'cloud' ? hooks.probeCloud(serviceId) : hooks.shadowLocal(serviceId);
      run
        .catch((err: unknown) => log(`edgstr edge: placement probe of ${serviceId} at the ${side} failed: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => placement.probeDone(serviceId));
    }
  };
  const timers = [pingEveryMs > 0 ? setInterval(ping, pingEveryMs) : null, setInterval(probe, PROBE_TICK_MS)];
  for (const t of timers) t?.unref();
  return () => {
    for (const t of timers) if (t) clearInterval(t);
  };
}

/**
 * TEST ONLY: `EDGSTR_TEST_LOCAL_DELAY_MS` adds that many ms to every local run, so that a test on
 * one machine can make the edge the slower side. Never set it in production; the edge warns.
 */
export function testLocalDelayMs(env: NodeJS.ProcessEnv, log: (line: string) => void): number {
  const ms = Number(env.EDGSTR_TEST_LOCAL_DELAY_MS);
  if (!env.EDGSTR_TEST_LOCAL_DELAY_MS || !Number.isFinite(ms) || ms <= 0) return 0;
  log(`edgstr edge: WARNING EDGSTR_TEST_LOCAL_DELAY_MS=${ms}: every local run is delayed ${ms} ms (a test knob; unset it)`);
  return ms;
}

/** A forwarded answer's headers arrived `totalMs` after it was sent: samples for the rule. */
export function noteForwarded(placement: Placement, serviceId: string | null, totalMs: number, headers: IncomingHttpHeaders): void {
  const value = headers[SERVICE_MS_HEADER];
  if (typeof value !== 'string') return;
  const serviceMs = Number(value);
  if (serviceId !== null && !placement.has(serviceId)) serviceId = null;
  placement.noteCloud(serviceId, totalMs, serviceMs, performance.now());
}

function answer(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readSmallBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * GET: `{"services": {"<METHOD route>": {"mode", "pinned", "reviewed", "switches", "sinceMs", "estimates"}}}`.
 * PUT `{"service": "<METHOD route>", "mode": "edge"|"cloud"|"auto"}`: pins or unpins one, and
 * answers that service's entry. 401 without `authorization: Bearer <EDGSTR_SECRET>`.
 */
export async function placementApi(req: IncomingMessage, res: ServerResponse, placement: Placement, secret: string): Promise<void> {
  const auth = req.headers.authorization;
  const token = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : null;
  if (!tokenMatches(token, secret)) {
    req.resume();
    res.setHeader('www-authenticate', 'Bearer');
    return answer(res, 401, { error: `${PLACEMENT_PATH} needs "authorization: Bearer <EDGSTR_SECRET>" (the sync secret of this edge)` });
  }
  if (req.method === 'GET') {
    req.resume();
    return answer(res, 200, { services: placement.view(performance.now()) });
  }
  if (req.method !== 'PUT') {
    req.resume();
    res.setHeader('allow', 'GET, PUT');
    return answer(res, 405, { error: `${PLACEMENT_PATH} answers GET and PUT only` });
  }
  const text = await readSmallBody(req);
  let body: unknown;
  try {
    body = text === null ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  const { service, mode } = (body !== null && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  if (typeof service !== 'string' || !(mode === 'edge' || mode === 'cloud' || mode === 'auto')) {
    return answer(res, 400, { error: `PUT ${PLACEMENT_PATH} takes JSON {"service": "<METHOD route>", "mode": "edge" | "cloud" | "auto"}` });
  }
  if (!placement.has(service)) {
    return answer(res, 404, { error: `${service} is not a service this edge serves (GET ${PLACEMENT_PATH} lists them)` });
  }
  const now = performance.now();
  placement.pin(service, mode as Side | 'auto', now);
  return answer(res, 200, { services: { [service]: placement.view(now)[service] } });
}

/**
 * At the cloud: stamps the app's own time for this request (from `started()` until its head is
 * written) on the answer, so an edge can tell the cloud's service time from the round trip.
 * Call it before anything else wraps `res.writeHead` (the session barrier holds the head and
 * puts the original back), and call the returned function when the app gets the request.
 */
export function reportServiceTime(res: ServerResponse): () => void {
  let started: number | null = null;
  const writeHead = res.writeHead;
  res.writeHead = function writeHeadWithServiceTime(this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
    if (!this.headersSent && started !== null) this.setHeader(SERVICE_MS_HEADER, (performance.now() - started).toFixed(1));
    return writeHead.apply(this, args);
  } as ServerResponse['writeHead'];
  return () => {
    started = performance.now();
  };
}
