import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/model/errors.js';
import type { Decisions } from '../../src/model/decisions.js';
import { decide, toDecisions } from '../../src/review/decide.js';
import { readSources } from '../../src/review/load.js';
import { buildReviewPlan } from '../../src/review/plan.js';
import { seatsInput } from './helpers.js';

const plan = buildReviewPlan(seatsInput());
const accepted = (r: ReturnType<typeof decide>): string[] => r.verdicts.filter((v) => v.accepted).map((v) => v.id);

function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected a UserError');
}

describe('decide', () => {
  it('--accept all accepts every replicable service and notes the skipped one', () => {
    const r = decide(plan, { accept: 'all' });
    expect(accepted(r)).toHaveLength(7);
    expect(r.verdicts.find((v) => v.id === 'GET /weather')).toEqual({ id: 'GET /weather', accepted: false, source: 'not-replicable' });
    expect(r.notes).toEqual([expect.stringMatching(/^GET \/weather skipped by --accept all: cannot be replicated/)]);
  });

  it('--accept all with --reject keeps the rejected ones out', () => {
    expect(accepted(decide(plan, { accept: 'all', reject: ['POST /seats/:id/book'] }))).not.toContain('POST /seats/:id/book');
  });

  it('LIST: named ones decided, ids normalized, the rest rejected with a note', () => {
    const r = decide(plan, { accept: ['get /seats/', 'GET /visits'], reject: ['POST /login'] });
    expect(accepted(r)).toEqual(['GET /seats', 'GET /visits']);
    expect(r.notes.at(-1)).toMatch(/^not mentioned and not decided before, so rejected \(forwarded to the cloud\): POST \/seats\/:id\/book, POST \/messages, GET \/about, GET \/health$/);
  });

  it('unknown names: one error naming them and listing the valid ids', () => {
    const msg = userError(() => decide(plan, { accept: ['GET /nope', 'GET /seats'], reject: ['bogus'] }));
    expect(msg).toMatch(/^--accept: unknown service "GET \/nope"; valid ids .*: GET \/seats, POST \/seats\/:id\/book, .*GET \/health$/);
    expect(userError(() => decide(plan, { reject: ['bogus'] }))).toMatch(/^--reject: unknown service "bogus"/);
  });

  it('a service both accepted and rejected is an error', () => {
    expect(userError(() => decide(plan, { accept: ['GET /seats'], reject: ['GET /seats'] }))).toMatch(/GET \/seats: both in --accept and in --reject/);
  });

  it('accepting a non-replicable service by name is an error with its reason', () => {
    expect(userError(() => decide(plan, { accept: ['GET /weather'] }))).toMatch(/--accept: GET \/weather cannot be replicated \(it calls another host.*\); remove it from --accept/);
  });

  it('unmentioned services keep their previous decision; answers override', () => {
    const withPrev = buildReviewPlan(seatsInput({ previous: new Map([['GET /seats', true], ['GET /visits', true], ['GET /weather', true]]) }));
    const r = decide(withPrev, { reject: ['GET /visits'] });
    expect(accepted(r)).toEqual(['GET /seats']);
    expect(r.notes).toContain('GET /weather was accepted before but cannot be replicated now; rejected');
    const answered = decide(withPrev, {}, new Map([['GET /seats' as never, false]]));
    expect(answered.verdicts[0]).toEqual({ id: 'GET /seats', accepted: false, source: 'prompt' });
  });
});

describe('toDecisions', () => {
  it('stamps new verdicts, keeps previous ones as they were, drops vanished ids', () => {
    const previous: Decisions = new Map([
      ['GET /seats', { accepted: true, by: 'ann', at: '2026-01-01T00:00:00.000Z', note: 'ok by ops' }],
      ['GET /gone', { accepted: true, by: 'ann', at: '' }],
    ]);
    const withPrev = buildReviewPlan(seatsInput({ previous: new Map([['GET /seats', true]]) }));
    const { verdicts } = decide(withPrev, { accept: ['GET /visits'] });
    const { decisions, dropped } = toDecisions(verdicts, previous, 'bob', '2026-02-02T00:00:00.000Z');
    expect(decisions.get('GET /seats')).toEqual(previous.get('GET /seats'));
    expect(decisions.get('GET /visits')).toEqual({ accepted: true, by: 'bob', at: '2026-02-02T00:00:00.000Z' });
    expect(decisions.get('GET /health')).toMatchObject({ accepted: false, note: 'not decided; rejected by default' });
    expect(dropped).toEqual(['GET /gone']);
  });
});

describe('readSources', () => {
  it('never reads outside the app dir', () => {
    const root = mkdtempSync(join(tmpdir(), 'edgstr-src-'));
    try {
      mkdirSync(join(root, 'app'));
      writeFileSync(join(root, 'app', 'a.js'), 'x');
      writeFileSync(join(root, 'secret.txt'), 'secret');
      const got = readSources(join(root, 'app'), ['a.js', '../secret.txt', join(root, 'secret.txt'), 'missing.js']);
      expect([...got.keys()]).toEqual(['a.js']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
