/**
 * Issue 17: the placement rule with a fake clock and fake estimates (src/runtime/placement.ts):
 * no estimate yet keeps the review's decision, hysteresis, minimum stay, pins and per-request
 * header, probes of the side not in use, and the Kalman estimate following a step change.
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

  it('starts from the review (edge) and probes the cloud first, then only every probeEveryMs', () => {
    const p = new Placement([ID], opts, 0);
    expect(p.route(ID, 0)).toEqual({ side: 'cloud', reason: 'probe' });
    // one probe in flight at a time
    expect(p.route(ID, 1)).toEqual({ side: 'edge', reason: 'mode' });
    p.noteCloud(ID, 30, 10, 2);
    p.probeDone(ID);
    expect(p.route(ID, 100)).toEqual({ side: 'edge', reason: 'mode' });
    expect(p.route(ID, 600)).toEqual({ side: 'cloud', reason: 'probe' });
    expect(p.view(600)[ID]!.estimates.rttMs).toMatchObject({ ms: 20, samples: 1 });
  });

  it('switches to the cloud when the edge is slow, back when the WAN is slow, without flapping', () => {
    const lines: string[] = [];
    const p = new Placement([ID], opts, 0, true, (l) => lines.push(l));
    let now = 0;
    const run = (ms: number, local: number, cloud: number, rtt: number): void => {
      for (const end = now + ms; now < end; now += 50) {
        const r = p.route(ID, now);
        if (r.side === 'edge') p.noteLocal(ID, local, now);
        else p.noteCloud(ID, rtt + cloud, cloud, now);
        if (r.reason === 'probe') p.probeDone(ID);
      }
    };
    run(5_000, 100, 2, 10); // fast WAN: the cloud answers in 12 ms
    expect(p.view(now)[ID]!.mode).toBe('cloud');
    run(5_000, 100, 2, 300); // slow WAN: the edge wins
    expect(p.view(now)[ID]!.mode).toBe('edge');
    run(8_000, 100, 2, 10); // fast again: the probes see it
    expect(p.view(now)[ID]!.mode).toBe('cloud');
    expect(p.view(now)[ID]!.switches).toBe(3);
    expect(lines.filter((l) => l.includes(' -> '))).toHaveLength(3);
    // a burst of slow cloud answers shorter than confirmMs does not move the service
    const atCloud = p.view(now)[ID]!.switches;
    run(200, 100, 2, 400);
    run(3_000, 100, 2, 10);
    expect(p.view(now)[ID]).toMatchObject({ mode: 'cloud', switches: atCloud });
    // noisy samples around a tie do not flap: local 100 vs remote 100 ± 15
    const before = p.view(now)[ID]!.switches;
    let flip = false;
    for (const end = now + 10_000; now < end; now += 50) {
      const r = p.route(ID, now);
      flip = !flip;
      if (r.side === 'edge') p.noteLocal(ID, 100 + (flip ? 10 : -10), now);
      else p.noteCloud(ID, 100 + (flip ? 15 : -15), 2, now);
      if (r.reason === 'probe') p.probeDone(ID);
    }
    expect(p.view(now)[ID]!.switches).toBe(before);
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
    const p = new Placement([ID], opts, 0, false);
    feed(p, 5_000, 500, 1, 1);
    expect(p.route(ID, 5_000)).toEqual({ side: 'edge', reason: 'mode' });
  });

  it('ignores a cloud sample whose service time exceeds the total', () => {
    const p = new Placement([ID], opts, 0);
    p.noteCloud(ID, 10, 20, 0);
    p.noteCloud(ID, 10, Number.NaN, 0);
    expect(p.view(0)[ID]!.estimates.rttMs.samples).toBe(0);
  });
});

describe('Estimate', () => {
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
  const { enabled, options } = placementOptionsFromEnv({ EDGSTR_PLACEMENT_MIN_STAY_MS: '250', EDGSTR_PLACEMENT_PROBE_MS: '100', EDGSTR_PLACEMENT: 'adaptive' });
  expect(enabled).toBe(true);
  expect(options).toMatchObject({ minStayMs: 250, probeEveryMs: 100, marginMs: DEFAULT_PLACEMENT.marginMs });
});
