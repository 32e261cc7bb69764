/**
 * Issue 17: the placement rule with a fake clock and fake estimates (src/runtime/placement.ts):
 * no estimate yet keeps the review's decision, hysteresis, minimum stay, pins and per-request
 * header, the estimate sources off the client's path (sync pings, background probes of the side
 * not in use for read-only services, the decay of a state-writing service's stale local
 * estimate), and the Kalman estimate following a step change.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PLACEMENT, Estimate, Placement, decide, placementOptionsFromEnv, type PlacementOptions } from '../../src/runtime/placement.js';

const opts: PlacementOptions = { ...DEFAULT_PLACEMENT, marginMs: 5, marginRatio: 0.2, minStayMs: 1_000, confirmMs: 300, probeEveryMs: 500, minSamples: 3 };
const ID = 'GET /items/:id';

describe('decide', () => {
  const at = (mode: 'edge' | 'cloud', since = 0) => ({ mode, since });
  it('keeps the current (review) side while any estimate is missing', () => {
    expect(decide(at('edge'), { local: 500, cloud: 1, rtt: null }, 10_000, opts)).toBe('edge');
    expect(decide(at('edge'), { local: null, cloud: 1, rtt: 1 }, 10_000, opts)).toBe('edge');
    expect(decide(at('cloud'), { local: 1, cloud: null, rtt: 100 }, 10_000, opts)).toBe('cloud');
  });
  it('switches to the cloud only past the margin (hysteresis)', () => {
    // remote 100; margin max(5, 0.2 * 100) = 20
    expect(decide(at('edge'), { local: 115, cloud: 20, rtt: 80 }, 10_000, opts)).toBe('edge');
    expect(decide(at('edge'), { local: 119, cloud: 20, rtt: 80 }, 10_000, opts)).toBe('edge');
    expect(decide(at('edge'), { local: 121, cloud: 20, rtt: 80 }, 10_000, opts)).toBe('cloud');
  });
  it('switches back only past the margin the other way', () => {
    // local 100; remote 110: better at the edge but within the margin -> stays at the cloud
    expect(decide(at('cloud'), { local: 100, cloud: 10, rtt: 100 }, 10_000, opts)).toBe('cloud');
    // margin max(5, 0.2 * 100) = 20: remote 119 stays, remote 121 moves
    expect(decide(at('cloud'), { local: 100, cloud: 10, rtt: 109 }, 10_000, opts)).toBe('cloud');
    expect(decide(at('cloud'), { local: 100, cloud: 10, rtt: 111 }, 10_000, opts)).toBe('edge');
    expect(decide(at('cloud'), { local: 100, cloud: 30, rtt: 100 }, 10_000, opts)).toBe('edge');
  });
  it('the absolute margin holds for tiny services', () => {
    expect(decide(at('edge'), { local: 6, cloud: 0.5, rtt: 1 }, 10_000, opts)).toBe('edge');
    expect(decide(at('edge'), { local: 7, cloud: 0.5, rtt: 1 }, 10_000, opts)).toBe('cloud');
  });
  it('stays at least minStayMs after a switch', () => {
    const inputs = { local: 500, cloud: 1, rtt: 1 };
    expect(decide(at('edge', 9_500), inputs, 10_000, opts)).toBe('edge');
    expect(decide(at('edge', 9_000), inputs, 10_000, opts)).toBe('cloud');
  });
});

describe('Placement', () => {
  /** Feeds samples until every estimate is ready, as traffic would, at a fixed clock. */
  function feed(p: Placement, now: number, local: number, cloud: number, rtt: number, n = 5): void {
    for (let i = 0; i < n; i++) {
      p.noteLocal(ID, local, now);
      p.noteCloud(ID, rtt + cloud, cloud, now);
    }
  }

  /**
   * A fake world on a fake clock: a client request every 50 ms (answered where route() says, its
   * time sampled), a sync ping every pingEveryMs, background probes answered at once. Records
   * which side each client request went to.
   */
  function world(p: Placement, id = ID) {
    let now = 0;
    let nextPing = 0;
    const served: { at: number; side: 'edge' | 'cloud' }[] = [];
    const probes: { at: number; side: 'edge' | 'cloud' }[] = [];
    const run = (ms: number, local: number, cloud: number, rtt: number): void => {
      for (const end = now + ms; now < end; now += 50) {
        if (now >= nextPing) {
          p.noteRtt(rtt, now);
          nextPing = now + opts.pingEveryMs;
        }
        for (const probe of p.dueProbes(now)) {
          probes.push({ at: now, side: probe.side });
          if (probe.side === 'edge') p.noteLocal(probe.serviceId, local, now);
          else p.noteCloud(probe.serviceId, rtt + cloud, cloud, now);
          p.probeDone(probe.serviceId);
        }
        const r = p.route(id, now);
        served.push({ at: now, side: r.side });
        if (r.side === 'edge') p.noteLocal(id, local, now);
        else p.noteCloud(id, rtt + cloud, cloud, now);
      }
    };
    return { run, served, probes, now: () => now };
  }

  it('a client request is never a probe: the cloud side is probed in the background, back to back until ready, then every probeEveryMs', () => {
    const p = new Placement([{ id: ID, writes: false }], opts, 0);
    expect(p.route(ID, 0)).toEqual({ side: 'edge', reason: 'mode' });
    expect(p.dueProbes(0)).toEqual([{ serviceId: ID, side: 'cloud' }]);
    // one probe in flight at a time
    expect(p.dueProbes(1)).toEqual([]);
    p.noteCloud(ID, 30, 10, 2);
    p.probeDone(ID);
    // fewer than minSamples: the next goes at once
    expect(p.dueProbes(3)).toEqual([{ serviceId: ID, side: 'cloud' }]);
    p.noteCloud(ID, 30, 10, 4);
    p.probeDone(ID);
    expect(p.dueProbes(5)).toHaveLength(1);
    p.noteCloud(ID, 30, 10, 6);
    p.probeDone(ID);
    // ready: the next one after probeEveryMs
    expect(p.dueProbes(100)).toEqual([]);
    expect(p.dueProbes(6 + opts.probeEveryMs)).toEqual([{ serviceId: ID, side: 'cloud' }]);
    expect(p.view(600)[ID]!.estimates.rttMs).toMatchObject({ ms: 20, samples: 3 });
    expect(p.route(ID, 600)).toEqual({ side: 'edge', reason: 'mode' });
  });

  it('pings alone keep the RTT estimate and move a service, whatever the request traffic', () => {
    const p = new Placement([{ id: ID, writes: false }], opts, 0);
    feed(p, 0, 100, 2, 10);
    expect(p.route(ID, 2_000)).toEqual({ side: 'edge', reason: 'mode' });
    // no requests at all: pings every 500 ms see a fast WAN -> the service moves
    for (let t = 2_000; t <= 3_000; t += 500) p.noteRtt(10, t);
    expect(p.view(3_000)[ID]).toMatchObject({ mode: 'cloud', switches: 1 });
    expect(p.view(3_000)[ID]!.estimates.rttMs.samples).toBe(5 + 3);
  });

  it('switches to the cloud when the edge is slow, back when the WAN is slow, without flapping; clients never pay a probe', () => {
    const lines: string[] = [];
    const p = new Placement([{ id: ID, writes: false }], opts, 0, true, (l) => lines.push(l));
    const w = world(p);
    w.run(5_000, 100, 2, 10); // fast WAN: the cloud answers in 12 ms
    expect(p.view(w.now())[ID]!.mode).toBe('cloud');
    const t1 = w.now();
    w.run(5_000, 100, 2, 300); // slow WAN: the edge wins
    expect(p.view(w.now())[ID]!.mode).toBe('edge');
    const t2 = w.now();
    w.run(5_000, 100, 2, 10); // fast again: the background probes and pings see it
    expect(p.view(w.now())[ID]!.mode).toBe('cloud');
    expect(p.view(w.now())[ID]!.switches).toBe(3);
    expect(lines.filter((l) => l.includes(' -> '))).toHaveLength(3);
    // After each WAN change the clients go to the better side within two pings plus confirmMs.
    const firstAt = (from: number, side: 'edge' | 'cloud'): number => w.served.find((s) => s.at >= from && s.side === side)!.at - from;
    expect(firstAt(t1, 'edge')).toBeLessThanOrEqual(2 * opts.pingEveryMs + opts.confirmMs);
    expect(firstAt(t2, 'cloud')).toBeLessThanOrEqual(2 * opts.pingEveryMs + opts.confirmMs);
    // Between switches every client request went to the current side: no request was a probe.
    const flips = w.served.filter((s, i) => i > 0 && s.side !== w.served[i - 1]!.side);
    expect(flips).toHaveLength(3);
    // The other side was measured in the background instead, about once per probeEveryMs.
    expect(w.probes.filter((x) => x.at >= t1 && x.at < t2 && x.side === 'cloud').length).toBeGreaterThanOrEqual(2);
    // one odd slow sample (a ping and a forwarded answer at 400 ms) does not move the service
    const atCloud = p.view(w.now())[ID]!.switches;
    w.run(50, 100, 2, 400);
    w.run(3_000, 100, 2, 10);
    expect(p.view(w.now())[ID]).toMatchObject({ mode: 'cloud', switches: atCloud });
  });

  it('noisy samples around a tie do not flap', () => {
    const p = new Placement([{ id: ID, writes: false }], opts, 0);
    let now = 0;
    let flip = false;
    for (; now < 10_000; now += 50) {
      flip = !flip;
      p.noteRtt(98 + (flip ? 15 : -15), now);
      for (const probe of p.dueProbes(now)) {
        if (probe.side === 'edge') p.noteLocal(ID, 100 + (flip ? 10 : -10), now);
        else p.noteCloud(ID, 2, 2, now);
        p.probeDone(ID);
      }
      if (p.route(ID, now).side === 'edge') p.noteLocal(ID, 100 + (flip ? 10 : -10), now);
    }
    expect(p.view(now)[ID]!.switches).toBe(0);
  });

  it('a state-writing service is never probed: at the edge, RTT from pings + the last cloud time; at the cloud its local estimate decays back toward the edge', () => {
    const o: PlacementOptions = { ...opts, decayHalfLifeMs: 2_000 };
    const lines: string[] = [];
    const p = new Placement([ID], o, 0, true, (l) => lines.push(l));
    expect(p.dueProbes(0)).toEqual([]);
    expect(p.view(0)[ID]).toMatchObject({ readOnly: false });
    // The cloud's time is known from three forwarded answers (fallbacks, pinned requests).
    for (let t = 0; t < 3; t++) p.noteCloud(ID, 12, 2, t);
    for (let t = 0; t < 3; t++) p.noteLocal(ID, 100, t);
    // Pings alone (no forwarded traffic) move it to the cloud...
    for (let t = 2_000; t <= 3_000; t += 500) p.noteRtt(10, t);
    expect(p.view(3_000)[ID]).toMatchObject({ mode: 'cloud', switches: 1 });
    expect(p.dueProbes(3_000)).toEqual([]);
    // ...and at the cloud, no shadow runs: the last local estimate (100, at t=2) halves every 2 s.
    expect(p.view(4_002)[ID]!.estimates.localUsedMs).toBeCloseTo(25, 0);
    expect(p.view(4_002)[ID]!.estimates.localMs.ms).toBe(100);
    expect(p.route(ID, 4_002).side).toBe('cloud');
    // Under remote 12 ms minus the 5 ms margin after ~3.8 half-lives (t ~ 7.7 s): back to the
    // edge, with its local estimate started afresh (the review's side holds until it is ready),
    for (let t = 3_500; t <= 12_000; t += 500) p.noteRtt(10, t);
    expect(p.view(12_000)[ID]).toMatchObject({ mode: 'edge', switches: 2 });
    expect(p.view(12_000)[ID]!.estimates.localMs.samples).toBe(0);
    expect(lines.at(-1)).toMatch(/cloud -> edge/);
    // where real samples show it is still slow: off to the cloud again after the minimum stay.
    for (let t = 12_000; t <= 13_500; t += 50) {
      if (p.route(ID, t).side === 'edge') p.noteLocal(ID, 100, t);
      p.noteRtt(10, t);
    }
    expect(p.view(13_500)[ID]).toMatchObject({ mode: 'cloud', switches: 3 });
  });

  it('a pin holds against the estimates; auto hands the service back to the rule', () => {
    const p = new Placement([ID], opts, 0);
    p.pin(ID, 'edge', 0);
    feed(p, 5_000, 500, 1, 1);
    expect(p.route(ID, 5_000)).toEqual({ side: 'edge', reason: 'pinned' });
    expect(p.view(5_000)[ID]).toMatchObject({ mode: 'edge', pinned: true });
    p.pin(ID, 'auto', 5_000);
    // the rule's verdict (cloud) must hold confirmMs before the service moves
    expect(p.view(5_000)[ID]).toMatchObject({ mode: 'edge', pinned: false, switches: 0 });
    expect(p.view(5_200)[ID]).toMatchObject({ mode: 'edge', switches: 0 });
    expect(p.view(5_300)[ID]).toMatchObject({ mode: 'cloud', pinned: false, switches: 1 });
    p.pin(ID, 'cloud', 6_000);
    expect(p.route(ID, 6_000).side).toBe('cloud');
  });

  it('the per-request header wins over mode and pin', () => {
    const p = new Placement([ID], opts, 0);
    p.pin(ID, 'cloud', 0);
    expect(p.route(ID, 0, 'edge')).toEqual({ side: 'edge', reason: 'header' });
    expect(p.route(ID, 0, ['cloud'])).toEqual({ side: 'cloud', reason: 'header' });
    expect(p.route(ID, 0, 'elsewhere')).toEqual({ side: 'cloud', reason: 'pinned' });
  });

  it('switched off: the review decides and nothing is probed', () => {
    const p = new Placement([{ id: ID, writes: false }], opts, 0, false);
    feed(p, 5_000, 500, 1, 1);
    p.noteRtt(1, 5_000);
    expect(p.route(ID, 5_000)).toEqual({ side: 'edge', reason: 'mode' });
    expect(p.dueProbes(5_000)).toEqual([]);
  });

  it('a pinned service is not probed', () => {
    const p = new Placement([{ id: ID, writes: false }], opts, 0);
    p.pin(ID, 'cloud', 0);
    expect(p.dueProbes(0)).toEqual([]);
  });

  it('a round trip that began before the newest one taken is older news, not a sample', () => {
    const p = new Placement([ID], opts, 0);
    p.noteRtt(10, 1_000); // began at 990
    p.noteCloud(ID, 600, 2, 1_100); // a forwarded request that began at 500, held by the slow link
    p.noteRtt(600, 1_200); // a ping that began at 600
    expect(p.view(1_200)[ID]!.estimates.rttMs).toMatchObject({ ms: 10, samples: 1 });
    // its cloud service time still counts
    expect(p.view(1_200)[ID]!.estimates.cloudMs.samples).toBe(1);
    p.noteRtt(12, 1_300);
    expect(p.view(1_300)[ID]!.estimates.rttMs.samples).toBe(2);
  });

  it('ignores a cloud sample whose service time exceeds the total', () => {
    const p = new Placement([ID], opts, 0);
    p.noteCloud(ID, 10, 20, 0);
    p.noteCloud(ID, 10, Number.NaN, 0);
    expect(p.view(0)[ID]!.estimates.rttMs.samples).toBe(0);
  });
});

describe('Estimate', () => {
  it('takes a level shift after two far samples in a row, damps one, and ignores far samples on alternating sides', () => {
    const e = new Estimate(opts);
    for (let t = 0; t < 10; t++) e.add(10, t * 500);
    e.add(600, 5_000); // one far sample: damped
    expect(e.value!).toBeGreaterThan(10);
    expect(e.value!).toBeLessThan(400);
    e.add(600, 5_500); // the second in a row: the WAN changed
    expect(e.value!).toBeGreaterThan(550);
    const f = new Estimate(opts);
    for (let t = 0; t < 10; t++) f.add(100, t * 500);
    f.add(400, 5_000);
    f.add(5, 5_500); // far, but on the other side: not a shift
    expect(f.value!).toBeGreaterThan(50);
    expect(f.value!).toBeLessThan(250);
  });

  it('follows a step within a few samples and damps one outlier', () => {
    const e = new Estimate(opts);
    for (let t = 0; t < 10; t++) e.add(300, t * 500);
    e.add(10, 5_000);
    expect(e.value!).toBeGreaterThan(100);
    for (let t = 11; t < 20; t++) e.add(10, t * 500);
    expect(e.value!).toBeLessThan(40);
  });
});

it('env overrides', () => {
  expect(placementOptionsFromEnv({}).enabled).toBe(false);
  expect(placementOptionsFromEnv({ EDGSTR_PLACEMENT: 'review' }).enabled).toBe(false);
  const { enabled, options } = placementOptionsFromEnv({ EDGSTR_PLACEMENT_MIN_STAY_MS: '250', EDGSTR_PLACEMENT_PROBE_MS: '100', EDGSTR_PLACEMENT_PING_MS: '200', EDGSTR_PLACEMENT_CONFIRM_MS: '0', EDGSTR_PLACEMENT_DECAY_MS: '9000', EDGSTR_PLACEMENT: 'adaptive' });
  expect(enabled).toBe(true);
  expect(options).toMatchObject({ minStayMs: 250, probeEveryMs: 100, pingEveryMs: 200, confirmMs: 0, decayHalfLifeMs: 9000, marginMs: DEFAULT_PLACEMENT.marginMs });
});
