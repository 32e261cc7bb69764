import { describe, expect, it } from 'vitest';
import { dependenciesOf, unissuedWarnings } from '../../src/analyze/replay/dependencies.js';
import type { Recorded } from '../../src/analyze/replay/requests.js';
import { ValueMap } from '../../src/analyze/replay/value-map.js';

const rec = (over: Partial<Recorded>): Recorded => ({
  index: 0, method: 'GET', path: '/', query: [], headers: {}, mimeType: '', body: undefined, status: 200, response: undefined, setCookies: [], ...over,
});
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const SID = 'edgstr-redacted-0123456789ab';
const UUID = '3b1f0c52-8a53-4a4e-9d55-1c6c64bd3e10';

describe('the recorded requests a request depends on', () => {
  const login = rec({ index: 0, method: 'POST', path: '/login', setCookies: [`sid=${SID}; Path=/`], response: json({ ok: true }) });
  const other = rec({ index: 1, method: 'POST', path: '/notes', response: json({ id: 7, votes: 3 }) });
  const create = rec({ index: 2, method: 'POST', path: '/polls', headers: { cookie: `sid=${SID}` }, response: json({ id: UUID, choices: [{ id: 12 }] }) });
  const list = rec({ index: 3, path: '/polls', response: json([{ id: UUID }]) });
  const vote = rec({ index: 4, method: 'POST', path: `/polls/${UUID}/votes`, headers: { cookie: `sid=${SID}` }, mimeType: 'application/json', body: json({ choiceId: 12 }) });
  const all = [login, other, create, list, vote];

  it('are the create that returned its key and the login that issued its session, transitively, in order', () => {
    expect(dependenciesOf(vote, all).map((r) => r.index)).toEqual([0, 2]);
    expect(dependenciesOf(create, all).map((r) => r.index)).toEqual([0]);
  });

  it('include earlier writes to the same thing (the vote on the poll a later request acts on)', () => {
    const close = rec({ index: 5, method: 'POST', path: `/polls/${UUID}/close`, headers: { cookie: `sid=${SID}` } });
    expect(dependenciesOf(close, [...all, close]).map((r) => r.index)).toEqual([0, 2, 4]);
    const attach = rec({ index: 1, method: 'PUT', path: '/boards/1/cards/5/attachments/a.txt', response: json({ ok: true }) });
    const card = rec({ index: 0, method: 'POST', path: '/boards/1/cards', response: json({ id: 5 }) });
    const del = rec({ index: 2, method: 'DELETE', path: '/boards/1/cards/5' });
    expect(dependenciesOf(del, [card, attach, del]).map((r) => r.index)).toEqual([0, 1]);
  });

  it('match a number only where an answer gives it as an id (votes: 3 is not note 3)', () => {
    expect(dependenciesOf(rec({ index: 5, path: '/notes/7' }), all).map((r) => r.index)).toEqual([1]);
    expect(dependenciesOf(rec({ index: 5, path: '/notes/3' }), all)).toEqual([]);
  });

  it('warn once per credential no recorded answer issued', () => {
    const orphan = rec({ index: 6, path: '/me', headers: { authorization: 'Bearer edgstr-redacted-ffffffffffff' } });
    const w = unissuedWarnings([...all, orphan, { ...orphan, index: 7 }]);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/^2 recorded request\(s\) \(first #7 GET \/me, in its header authorization\) send a credential \(edgstr-redacted-ffffffffffff\) that no recorded answer issued.*record the login too.*--no-redact$/);
  });
});

describe('ValueMap: ids the replay generates anew', () => {
  it('learns recorded -> replayed ids and rewrites path, query and JSON body, not counts', () => {
    const m = new ValueMap();
    m.learn({ id: UUID, votes: 3, choices: [{ id: 12 }] }, { id: 'aaaaaaaa-8a53-4a4e-9d55-1c6c64bd3e10', votes: 2, choices: [{ id: 15 }] });
    const r = m.rewrite(rec({ method: 'POST', path: `/polls/${UUID}/votes`, query: [['choice', '12'], ['n', '3']], mimeType: 'application/json', body: json({ choiceId: 12, n: 3 }) }));
    expect(r.path).toBe('/polls/aaaaaaaa-8a53-4a4e-9d55-1c6c64bd3e10/votes');
    expect(r.query).toEqual([['choice', '15'], ['n', '3']]);
    expect(JSON.parse(r.body!.toString())).toEqual({ choiceId: 15, n: 3 });
  });
});
