/**
 * Adaptive placement (DESIGN.md §8 "Placement"): each edge decides, per accepted service,
 * whether it answers a request itself or forwards it to the cloud, whichever answers sooner.
 *
 *   - Estimates. Per service: the edge's own service time (measured around the local run) and
 *     the cloud's service time (the cloud reports it in `x-edgstr-service-ms`). Per edge: the
 *     round trip to the cloud, from the sync connection's pings (every `pingEveryMs`, whatever
 *     the request traffic) and from forwarded requests (time to the answer's headers minus the
 *     cloud's service time). Each is a scalar Kalman filter (random-walk model), so a few samples
 *     move it when the network changes and one odd sample does not.
 *   - Rule. Remote = RTT + cloud. Serving at the edge, the service moves to the cloud once
 *     `local > remote + margin`; at the cloud it moves back once `local + margin < remote`, where
 *     margin = max(marginMs, marginRatio × min(local, remote)) (hysteresis). The verdict must
 *     hold for `confirmMs` before the service moves (a burst of slow samples does not move it),
 *     and after a switch the service stays at least `minStayMs`. Until all three estimates have
 *     `minSamples` samples the review's decision holds (accepted = edge).
 *   - Probes, off the client's path. A client's request always goes to the side the rule picks.
 *     The side not in use is measured in the background ({@link Placement.dueProbes}): for a
 *     service that writes no state (the analysis says so), at most one background request per
 *     `probeEveryMs` to the cloud (answer discarded) while it runs at the edge, or one shadow
 *     local run (answer discarded) while it runs at the cloud. A service that writes state is
 *     never probed (a probe would write twice): at the edge its remote time is the pinged RTT
 *     plus the last cloud service time the cloud reported; at the cloud its last local estimate
 *     decays toward the review's decision (halving every `decayHalfLifeMs`), so it goes back to
 *     the edge now and then, measures itself, and leaves again if it is still the slower side.
 *   - Pins. `x-edgstr-place: edge|cloud` pins one request; the placement API pins a service
 *     (`mode: edge|cloud`) or hands it back to the rule (`auto`).
 * Pure: time comes from the caller (`now`, ms), so the rule is tested with a fake clock.
 */

export type Side = 'edge' | 'cloud';

/** Request header: pins one request to a side. */
export const PLACE_HEADER = 'x-edgstr-place';
/** Response header, cloud -> edge: the app's own time for this request, ms. */
export const SERVICE_MS_HEADER = 'x-edgstr-service-ms';

export interface PlacementOptions {
  /** Absolute hysteresis margin, ms. */
  marginMs: number;
  /** Relative hysteresis margin, fraction of the smaller of local and remote. */
  marginRatio: number;
  /** Minimum time a service stays on a side after a switch, ms. */
  minStayMs: number;
  /** How long the rule's verdict for the other side must hold before the service moves, ms. */
  confirmMs: number;
  /** A side whose last sample is older than this gets a background probe (read-only services), ms. */
  probeEveryMs: number;
  /** How often the edge pings the cloud over the sync connection for the RTT estimate, ms (0: never). */
  pingEveryMs: number;
  /** A state-writing service at the cloud: its stale local estimate halves every this many ms. */
  decayHalfLifeMs: number;
  /** Samples an estimate needs before the rule uses it. */
  minSamples: number;
  /** Kalman process noise per ms elapsed between samples (ms² / ms): how fast the truth may drift. */
  driftPerMs: number;
  /** Kalman measurement noise: the standard deviation of one sample around the truth, ms. */
  noiseMs: number;
}

export const DEFAULT_PLACEMENT: PlacementOptions = {
  marginMs: 5,
  marginRatio: 0.2,
  minStayMs: 10_000,
  confirmMs: 100,
  probeEveryMs: 1_000,
  pingEveryMs: 250,
  decayHalfLifeMs: 30_000,
  minSamples: 3,
  driftPerMs: 0.5,
  noiseMs: 20,
};

/**
 * `EDGSTR_PLACEMENT=adaptive` switches the rule, the pings and the background probes on. Without
 * it (the default, `review`: see docs/placement-bench.md for why) every accepted service stays
 * where the review put it, which is what `edgstr verify` checks (an accepted service answered at
 * the edge); pins, the per-request header and the estimates from ordinary traffic work either
 * way. `EDGSTR_PLACEMENT_MIN_STAY_MS`, `_PROBE_MS`, `_PING_MS`, `_CONFIRM_MS`, `_MARGIN_MS` and
 * `_DECAY_MS` (the half-life) override the defaults.
 */
export function placementOptionsFromEnv(env: NodeJS.ProcessEnv): { enabled: boolean; options: PlacementOptions } {
  const num = (name: string, fallback: number): number => {
    const v = Number(env[name]);
    return env[name] !== undefined && env[name] !== '' && Number.isFinite(v) && v >= 0 ? v : fallback;
  };
  return {
    enabled: env.EDGSTR_PLACEMENT === 'adaptive',
    options: {
      ...DEFAULT_PLACEMENT,
      minStayMs: num('EDGSTR_PLACEMENT_MIN_STAY_MS', DEFAULT_PLACEMENT.minStayMs),
      probeEveryMs: num('EDGSTR_PLACEMENT_PROBE_MS', DEFAULT_PLACEMENT.probeEveryMs),
      marginMs: num('EDGSTR_PLACEMENT_MARGIN_MS', DEFAULT_PLACEMENT.marginMs),
      pingEveryMs: num('EDGSTR_PLACEMENT_PING_MS', DEFAULT_PLACEMENT.pingEveryMs),
      confirmMs: num('EDGSTR_PLACEMENT_CONFIRM_MS', DEFAULT_PLACEMENT.confirmMs),
      decayHalfLifeMs: num('EDGSTR_PLACEMENT_DECAY_MS', DEFAULT_PLACEMENT.decayHalfLifeMs),
    },
  };
}

/** How far (in standard deviations of the prediction) a sample must be to count toward a level shift. */
const JUMP_SIGMA = 3;

export interface EstimateView {
  /** Estimated ms (null before the first sample). */
  ms: number | null;
  samples: number;
  /** ms since the last sample (null before the first). */
  ageMs: number | null;
}

/**
 * A scalar Kalman filter over a quantity that drifts (random walk), sampled at irregular times,
 * with a level-shift detector: one sample far from the estimate (beyond `JUMP_SIGMA` standard
 * deviations of the prediction) is damped like any other, but two in a row on the same side are
 * a change (the WAN got slower or faster), and the estimate restarts from them. So a WAN change
 * is taken within two samples (two pings), and one odd sample still does not move it.
 */
export class Estimate {
  private mean = 0;
  private variance = 0;
  samples = 0;
  lastAt: number | null = null;
  /** The previous sample when it was an outlier (else null). */
  private outlier: number | null = null;

  constructor(private readonly options: Pick<PlacementOptions, 'driftPerMs' | 'noiseMs'>) {}

  add(sample: number, now: number): void {
    if (!Number.isFinite(sample) || sample < 0) return;
    const noise = this.options.noiseMs ** 2;
    if (this.samples === 0) {
      this.mean = sample;
      this.variance = noise;
    } else {
      const elapsed = Math.max(0, now - (this.lastAt ?? now));
      const predicted = this.variance + this.options.driftPerMs * elapsed;
      const innovation = sample - this.mean;
      const far = Math.abs(innovation) > JUMP_SIGMA * Math.sqrt(predicted + noise);
      if (far && this.outlier !== null && Math.sign(this.outlier - this.mean) === Math.sign(innovation)) {
        this.mean = (this.outlier + sample) / 2;
        this.variance = noise;
        this.outlier = null;
      } else {
        const gain = predicted / (predicted + noise);
        this.mean += gain * innovation;
        this.variance = (1 - gain) * predicted;
        this.outlier = far ? sample : null;
      }
    }
    this.samples++;
    this.lastAt = now;
  }

  get value(): number | null {
    return this.samples === 0 ? null : this.mean;
  }

  view(now: number): EstimateView {
    return { ms: this.value === null ? null : Math.round(this.value * 10) / 10, samples: this.samples, ageMs: this.lastAt === null ? null : Math.round(now - this.lastAt) };
  }
}

/** What the rule compares; null where an estimate is not ready. */
export interface Inputs {
  local: number | null;
  cloud: number | null;
  rtt: number | null;
}

export interface RuleState {
  mode: Side;
  /** When the service last switched (or started), ms. */
  since: number;
}

/**
 * The decision rule alone: the side the service should be on now, given where it is, since
 * when, and the estimates. Pure.
 */
export function decide(state: RuleState, inputs: Inputs, now: number, options: PlacementOptions): Side {
  if (inputs.local === null || inputs.cloud === null || inputs.rtt === null) return state.mode;
  if (now - state.since < options.minStayMs) return state.mode;
  const remote = inputs.rtt + inputs.cloud;
  const margin = Math.max(options.marginMs, options.marginRatio * Math.min(inputs.local, remote));
  if (state.mode === 'edge' && inputs.local > remote + margin) return 'cloud';
  if (state.mode === 'cloud' && inputs.local + margin < remote) return 'edge';
  return state.mode;
}

export interface ServicePlacementView {
  mode: Side;
  pinned: boolean;
  /** The review's decision, used until the estimates are ready. */
  reviewed: Side;
  /** The analysis says the service writes no state: the side not in use gets background probes. */
  readOnly: boolean;
  switches: number;
  /** ms since the last switch. */
  sinceMs: number;
  /** localMs.ms is the last estimate; `localUsedMs` what the rule uses (decayed while stale at the cloud, for a writer). */
  estimates: { localMs: EstimateView; localUsedMs: number | null; cloudMs: EstimateView; rttMs: EstimateView; remoteMs: number | null };
}

export interface Routing {
  side: Side;
  /** Why: the rule's mode, a pin, or a per-request header. */
  reason: 'mode' | 'pinned' | 'header';
}

/** A background measurement of the side a service is not using ({@link Placement.dueProbes}). */
export interface Probe {
  serviceId: string;
  /** cloud: send the service's last request to the cloud; edge: run it locally (shadow run). Answer discarded either way. */
  side: Side;
}

/** A service the edge places: its id and whether the analysis says it writes state. */
export interface PlacedService {
  id: string;
  writes: boolean;
}

interface ServiceState extends RuleState {
  reviewed: Side;
  readOnly: boolean;
  pin: Side | null;
  switches: number;
  local: Estimate;
  cloud: Estimate;
  probing: Side | null;
  /** Since when the rule has wanted the other side (null: it wants this one). */
  wantsOtherSince: number | null;
}

/** The placement of every accepted service at one edge. */
export class Placement {
  private readonly services = new Map<string, ServiceState>();
  private readonly rtt: Estimate;
  /**
   * When the newest round trip taken as a sample began. A round trip that began earlier but
   * ends later (a forwarded request or ping held by the slow link while a newer one already came
   * back fast) is older news and is not a sample: it would break the run of new samples that
   * tells a level shift (see Estimate).
   */
  private newestRttStart = -Infinity;

  /** `services`: a bare id is a service that may write state (never probed in the background). */
  constructor(
    services: readonly (string | PlacedService)[],
    readonly options: PlacementOptions,
    now: number,
    private readonly enabled = true,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.rtt = new Estimate(options);
    for (const entry of services) {
      const { id, writes } = typeof entry === 'string' ? { id: entry, writes: true } : entry;
      this.services.set(id, { mode: 'edge', since: now, reviewed: 'edge', readOnly: !writes, pin: null, switches: 0, local: new Estimate(options), cloud: new Estimate(options), probing: null, wantsOtherSince: null });
    }
  }

  get adaptive(): boolean {
    return this.enabled;
  }

  has(serviceId: string): boolean {
    return this.services.has(serviceId);
  }

  /** Where this request of `serviceId` goes. `header` is the request's x-edgstr-place value. Never a probe. */
  route(serviceId: string, now: number, header?: string | string[]): Routing {
    const s = this.state(serviceId);
    const forced = Array.isArray(header) ? header[0] : header;
    if (forced === 'edge' || forced === 'cloud') return { side: forced, reason: 'header' };
    if (s.pin) return { side: s.pin, reason: 'pinned' };
    if (this.enabled) this.update(serviceId, s, now);
    return { side: s.mode, reason: 'mode' };
  }

  /**
   * The background probes due now, each marked in flight until {@link probeDone}: per read-only
   * service under the rule, the side it is not using, when that side's estimate has fewer than
   * `minSamples` samples (back to back, so a new edge decides soon) or its last sample is older
   * than `probeEveryMs`. The cloud's side counts the cloud's service time only: the RTT comes
   * from pings. Services that write state, pinned services and a non-adaptive edge: none.
   */
  dueProbes(now: number): Probe[] {
    if (!this.enabled) return [];
    const due: Probe[] = [];
    for (const [serviceId, s] of this.services) {
      if (!s.readOnly || s.pin || s.probing) continue;
      const side: Side = s.mode === 'edge' ? 'cloud' : 'edge';
      const e = side === 'edge' ? s.local : s.cloud;
      if (e.samples < this.options.minSamples || e.lastAt === null || now - e.lastAt >= this.options.probeEveryMs) {
        s.probing = side;
        due.push({ serviceId, side });
      }
    }
    return due;
  }

  /** A probe's answer came back (or failed): the next one may go. */
  probeDone(serviceId: string): void {
    const s = this.services.get(serviceId);
    if (s) s.probing = null;
  }

  /** A local run of `serviceId` took `ms`. */
  noteLocal(serviceId: string, ms: number, now: number): void {
    this.services.get(serviceId)?.local.add(ms, now);
  }

  /**
   * A forwarded request came back after `totalMs` (to the answer's headers); the cloud spent
   * `serviceMs` of it in the app. Any forwarded request gives a round-trip sample.
   */
  noteCloud(serviceId: string | null, totalMs: number, serviceMs: number, now: number): void {
    if (!Number.isFinite(serviceMs) || serviceMs < 0 || serviceMs > totalMs) return;
    this.addRtt(totalMs - serviceMs, now - totalMs, now);
    if (serviceId) this.services.get(serviceId)?.cloud.add(serviceMs, now);
  }

  /**
   * A ping over the sync connection came back after `ms`: a round-trip sample that does not
   * depend on request traffic. Every service under the rule is re-evaluated at once, so a
   * WAN change moves services within a ping interval or two (plus `confirmMs`).
   */
  noteRtt(ms: number, now: number): void {
    this.addRtt(ms, now - ms, now);
    if (!this.enabled) return;
    for (const [id, s] of this.services) if (!s.pin) this.update(id, s, now);
  }

  private addRtt(ms: number, startedAt: number, now: number): void {
    if (startedAt < this.newestRttStart) return;
    this.newestRttStart = startedAt;
    this.rtt.add(ms, now);
  }

  /** The current RTT estimate (null before the first sample). */
  rttMs(): number | null {
    return this.rtt.value;
  }

  /** Pins `serviceId` to a side, or (`auto`) hands it back to the rule. */
  pin(serviceId: string, mode: Side | 'auto', now: number): void {
    const s = this.state(serviceId);
    if (mode === 'auto') {
      s.pin = null;
      s.wantsOtherSince = null;
      this.log(`edgstr edge: placement ${serviceId} unpinned (rule decides; now at the ${s.mode})`);
      return;
    }
    s.pin = mode;
    if (s.mode !== mode) {
      s.mode = mode;
      s.since = now;
    }
    this.log(`edgstr edge: placement ${serviceId} pinned to the ${mode}`);
  }

  view(now: number): Record<string, ServicePlacementView> {
    const out: Record<string, ServicePlacementView> = {};
    for (const [id, s] of [...this.services].sort(([a], [b]) => a.localeCompare(b))) {
      if (this.enabled && !s.pin) this.update(id, s, now);
      const inputs = this.inputs(s, now);
      out[id] = {
        mode: s.pin ?? s.mode,
        pinned: s.pin !== null,
        reviewed: s.reviewed,
        readOnly: s.readOnly,
        switches: s.switches,
        sinceMs: Math.round(now - s.since),
        estimates: {
          localMs: s.local.view(now),
          localUsedMs: inputs.local === null ? null : Math.round(inputs.local * 10) / 10,
          cloudMs: s.cloud.view(now),
          rttMs: this.rtt.view(now),
          remoteMs: inputs.rtt === null || inputs.cloud === null ? null : Math.round((inputs.rtt + inputs.cloud) * 10) / 10,
        },
      };
    }
    return out;
  }

  private state(serviceId: string): ServiceState {
    const s = this.services.get(serviceId);
    if (!s) throw new Error(`no placed service ${serviceId}`);
    return s;
  }

  /**
   * What the rule compares. A state-writing service at the cloud gets no new local samples (no
   * shadow runs: they would write): its local estimate decays toward the review's decision (the
   * edge), halving every `decayHalfLifeMs` after its last sample.
   */
  private inputs(s: ServiceState, now: number): Inputs {
    const ready = (e: Estimate): number | null => (e.samples >= this.options.minSamples ? e.value : null);
    let local = ready(s.local);
    if (local !== null && !s.readOnly && s.mode === 'cloud' && s.reviewed === 'edge' && s.local.lastAt !== null && this.options.decayHalfLifeMs > 0) {
      local *= 0.5 ** (Math.max(0, now - s.local.lastAt) / this.options.decayHalfLifeMs);
    }
    return { local, cloud: ready(s.cloud), rtt: ready(this.rtt) };
  }

  private update(serviceId: string, s: ServiceState, now: number): void {
    const inputs = this.inputs(s, now);
    const next = decide(s, inputs, now, this.options);
    if (next === s.mode) {
      s.wantsOtherSince = null;
      return;
    }
    s.wantsOtherSince ??= now;
    if (now - s.wantsOtherSince < this.options.confirmMs) return;
    s.wantsOtherSince = null;
    const remote = (inputs.rtt ?? 0) + (inputs.cloud ?? 0);
    this.log(`edgstr edge: placement ${serviceId} ${s.mode} -> ${next} (local ${inputs.local?.toFixed(1)} ms, cloud ${inputs.cloud?.toFixed(1)} ms + rtt ${inputs.rtt?.toFixed(1)} ms = ${remote.toFixed(1)} ms)`);
    // A writer back at the edge by decay: its old local time is not evidence any more; it is
    // measured afresh (until then the review's side, the edge, holds).
    if (next === 'edge' && !s.readOnly) s.local = new Estimate(this.options);
    s.mode = next;
    s.since = now;
    s.switches++;
  }
}
