/**
 * Adaptive placement (DESIGN.md §8 "Placement"): each edge decides, per accepted service,
 * whether it answers a request itself or forwards it to the cloud, whichever answers sooner.
 *
 *   - Estimates. Per service: the edge's own service time (measured around the local run) and
 *     the cloud's service time (the cloud reports it in `x-edgstr-service-ms`). Per edge: the
 *     round trip to the cloud (a forwarded request's time to the answer's headers minus the
 *     cloud's service time). Each is a scalar Kalman filter (random-walk model), so a few samples
 *     move it when the network changes and one odd sample does not.
 *   - Rule. Remote = RTT + cloud. Serving at the edge, the service moves to the cloud once
 *     `local > remote + margin`; at the cloud it moves back once `local + margin < remote`, where
 *     margin = max(marginMs, marginRatio × min(local, remote)) (hysteresis). The verdict must
 *     hold for `confirmMs` before the service moves (a burst of slow samples does not move it),
 *     and after a switch the service stays at least `minStayMs`. Until all three estimates have
 *     `minSamples` samples the review's decision holds (accepted = edge).
 *   - Probes. The side not in use gets no samples, so its estimate goes stale: a request is sent
 *     to the other side when that side's last sample is older than `probeEveryMs` (one probe in
 *     flight per service). The fraction of probed requests is at most one per `probeEveryMs`
 *     per service, whatever the request rate. A stateful service probed at the cloud stays
 *     consistent: the forwarded request goes through the session barrier like any other.
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
  /** A side whose last sample is older than this gets the next request as a probe, ms. */
  probeEveryMs: number;
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
  confirmMs: 1_000,
  probeEveryMs: 2_000,
  minSamples: 3,
  driftPerMs: 0.5,
  noiseMs: 20,
};

/**
 * `EDGSTR_PLACEMENT=adaptive` switches the rule and the probes on. Without it (the default,
 * `review`) every accepted service stays where the review put it, which is what `edgstr verify`
 * checks (an accepted service answered at the edge); pins, the per-request header and the
 * estimates from ordinary traffic work either way. `EDGSTR_PLACEMENT_MIN_STAY_MS`,
 * `EDGSTR_PLACEMENT_PROBE_MS`, `EDGSTR_PLACEMENT_MARGIN_MS` override the defaults.
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
    },
  };
}

export interface EstimateView {
  /** Estimated ms (null before the first sample). */
  ms: number | null;
  samples: number;
  /** ms since the last sample (null before the first). */
  ageMs: number | null;
}

/** A scalar Kalman filter over a quantity that drifts (random walk), sampled at irregular times. */
export class Estimate {
  private mean = 0;
  private variance = 0;
  samples = 0;
  lastAt: number | null = null;

  constructor(private readonly options: Pick<PlacementOptions, 'driftPerMs' | 'noiseMs'>) {}

  add(sample: number, now: number): void {
    if (!Number.isFinite(sample) || sample < 0) return;
    if (this.samples === 0) {
      this.mean = sample;
      this.variance = this.options.noiseMs ** 2;
    } else {
      const elapsed = Math.max(0, now - (this.lastAt ?? now));
      const predicted = this.variance + this.options.driftPerMs * elapsed;
      const noise = this.options.noiseMs ** 2;
      const gain = predicted / (predicted + noise);
      this.mean += gain * (sample - this.mean);
      this.variance = (1 - gain) * predicted;
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
  switches: number;
  /** ms since the last switch. */
  sinceMs: number;
  estimates: { localMs: EstimateView; cloudMs: EstimateView; rttMs: EstimateView; remoteMs: number | null };
}

export interface Routing {
  side: Side;
  /** Why: the rule's mode, a pin, a per-request header, or a probe of the other side. */
  reason: 'mode' | 'pinned' | 'header' | 'probe';
}

interface ServiceState extends RuleState {
  reviewed: Side;
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

  constructor(
    serviceIds: readonly string[],
    private readonly options: PlacementOptions,
    now: number,
    private readonly enabled = true,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.rtt = new Estimate(options);
    for (const id of serviceIds) {
      this.services.set(id, { mode: 'edge', since: now, reviewed: 'edge', pin: null, switches: 0, local: new Estimate(options), cloud: new Estimate(options), probing: null, wantsOtherSince: null });
    }
  }

  has(serviceId: string): boolean {
    return this.services.has(serviceId);
  }

  /** Where this request of `serviceId` goes. `header` is the request's x-edgstr-place value. */
  route(serviceId: string, now: number, header?: string | string[]): Routing {
    const s = this.state(serviceId);
    const forced = Array.isArray(header) ? header[0] : header;
    if (forced === 'edge' || forced === 'cloud') return { side: forced, reason: 'header' };
    if (s.pin) return { side: s.pin, reason: 'pinned' };
    if (!this.enabled) return { side: s.mode, reason: 'mode' };
    this.update(serviceId, s, now);
    const other: Side = s.mode === 'edge' ? 'cloud' : 'edge';
    const last = other === 'edge' ? s.local.lastAt : Math.min(s.cloud.lastAt ?? -Infinity, this.rtt.lastAt ?? -Infinity);
    if (s.probing === null && (last === null || now - last >= this.options.probeEveryMs)) {
      s.probing = other;
      return { side: other, reason: 'probe' };
    }
    return { side: s.mode, reason: 'mode' };
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
    this.rtt.add(totalMs - serviceMs, now);
    if (serviceId) this.services.get(serviceId)?.cloud.add(serviceMs, now);
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
      const inputs = this.inputs(s);
      out[id] = {
        mode: s.pin ?? s.mode,
        pinned: s.pin !== null,
        reviewed: s.reviewed,
        switches: s.switches,
        sinceMs: Math.round(now - s.since),
        estimates: {
          localMs: s.local.view(now),
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

  private inputs(s: ServiceState): Inputs {
    const ready = (e: Estimate): number | null => (e.samples >= this.options.minSamples ? e.value : null);
    return { local: ready(s.local), cloud: ready(s.cloud), rtt: ready(this.rtt) };
  }

  private update(serviceId: string, s: ServiceState, now: number): void {
    const inputs = this.inputs(s);
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
    s.mode = next;
    s.since = now;
    s.switches++;
  }
}
