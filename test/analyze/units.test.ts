/** Unit tests of the pure parts: SQL tables, the dependence engine, fuzzing, service grouping. */
import { describe, expect, it } from 'vitest';
import { closure, deriveEdges, explain, type Facts } from '../../src/analyze/deps/engine.js';
import { allAtOnce, buildDictionary, mutate } from '../../src/analyze/fuzz/fuzz.js';
import type { Param, Recorded } from '../../src/analyze/replay/requests.js';
import { paramsOf, withParams } from '../../src/analyze/replay/requests.js';
import { compileRoute } from '../../src/model/service-id.js';
import { regexToRoute } from '../../src/services/regex-route.js';
import { groupServices, templateFor } from '../../src/services/group-services.js';
import { inlinePlaceholders, tablesOf } from '../../src/analyze/state/sql-tables.js';

describe('tablesOf', () => {
  it.each([
    ['SELECT s.*, COUNT(d.id) FROM shops s LEFT JOIN donuts d ON d.shop_id = s.id WHERE s.id = ?', ['donuts', 'shops'], []],
    ['UPDATE donuts SET stock = stock - ? WHERE id = ?', [], ['donuts']],
    ['DELETE FROM likes WHERE property_id = $id', [], ['likes']],
    ['INSERT INTO boxes (a) SELECT a FROM staging', ['staging'], ['boxes']],
    ['select * from "recipes" where "id" = ? limit ?', ['recipes'], []],
    ['insert into `recipes` (`name`) values (?) returning `id`', [], ['recipes']],
    ['SELECT (SELECT COUNT(*) FROM donuts) AS d, (SELECT COUNT(*) FROM shops) AS s', ['donuts', 'shops'], []],
    ['UPDATE t SET a = 1 WHERE id IN (SELECT id FROM u WHERE z = :z)', ['u'], ['t']],
    ['BEGIN', [], []],
  ])('%s', (sql, reads, writes) => {
    const got = tablesOf(sql);
    expect(got.reads.sort()).toEqual(reads);
    expect(got.writes.sort()).toEqual(writes);
  });
  it('inlines placeholders but not inside strings', () => {
    expect(inlinePlaceholders("SELECT '?' , ? , :a , @b , $c, ?12")).toBe("SELECT '?' , 1 , 1 , 1 , 1, 1");
  });
  it('falls back to a pattern match and says so', () => {
    const got = tablesOf('SELECT * FROM a JOIN b USING (id) WINDOW w AS (PARTITION BY x) %%%');
    expect(got.fallback).toBe(true);
    expect(got.reads.sort()).toEqual(['a', 'b']);
  });
});

describe('dependence engine', () => {
  // 0: function find() {...}   1: return rows (in find)   2: const id = Number(p)   3: const row = find(id)   4: res.json(row)   5: log('x') (unrelated)
  const facts: Facts = {
    exec: new Set([1, 2, 3, 4, 5]),
    def: [[0, 'find'], [2, 'id'], [3, 'row']],
    use: [[3, 'find'], [3, 'id'], [4, 'row'], [2, 'p']],
    ctrl: [[1, 0]],
    funcdecl: [[0, 'f@find']],
    inFn: [[1, 'f@find']],
    ret: new Set([1]),
  };
  it('closure from the exit follows data, call and return dependences', () => {
    const reached = closure(deriveEdges(facts), [4]);
    expect([...reached.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(reached.get(1)?.rule).toBe('return');
    expect(reached.get(2)?.rule).toBe('data');
    const lines = explain(reached, (s) => `s${s}`);
    expect(lines).toContain('s2  <-data(id)-  s3');
  });
  it('statements that did not execute contribute no data dependence', () => {
    const reached = closure(deriveEdges({ ...facts, exec: new Set([3, 4]) }), [4]);
    expect([...reached.keys()].sort()).toEqual([0, 3, 4]);
  });
});

const rec = (over: Partial<Recorded>): Recorded => ({
  index: 0, method: 'GET', path: '/', query: [], headers: {}, mimeType: '', body: undefined, status: 200, response: undefined, setCookies: [], ...over,
});

describe('fuzzing', () => {
  const a = rec({ index: 0, method: 'POST', path: '/items', mimeType: 'application/json', body: Buffer.from('{"name":"cake","price":3,"hot":true}'), response: Buffer.from('{"id":7}') });
  const b = rec({ index: 1, path: '/items/7', query: [['limit', '10']] });
  const pa = paramsOf(a, '/items');
  const pb = paramsOf(b, '/items/:id');
  const dict = buildDictionary([pa, pb], [a, b]);
  it('finds the primitive parameters of a request', () => {
    expect(pa.map((p) => [p.name, p.value])).toEqual([['name', 'cake'], ['price', 3], ['hot', true]]);
    expect(pb.map((p) => [p.loc.kind, p.name, p.value])).toEqual([['path', 'id', '7'], ['query', 'limit', '10']]);
  });
  it('mutates ids to ids seen elsewhere, numbers a little, strings with a suffix', () => {
    const dict2 = buildDictionary([pa, pb, [{ loc: { kind: 'path', index: 2, name: 'id' }, name: 'id', value: '3' } as Param]], [a, b]);
    expect(mutate(pb[0]!, 1, dict2)).toBe('3');
    expect(mutate(pa[1]!, 2, dict)).toBe(5);
    expect(mutate(pa[0]!, 1, dict)).toBe('cakex');
    expect(mutate(pa[2]!, 1, dict)).toBeNull();
  });
  it('applies a variant to path, query and JSON body', () => {
    const v = withParams(b, allAtOnce(pb, 1, dict).map((c) => ({ loc: c.loc, value: c.to })));
    expect(v.path).toBe('/items/6');
    expect(v.query).toEqual([['limit', '9']]);
    const w = withParams(a, allAtOnce(pa, 1, dict).map((c) => ({ loc: c.loc, value: c.to })));
    expect(JSON.parse(w.body!.toString())).toEqual({ name: 'cakex', price: 4, hot: true });
  });
});

describe('service grouping', () => {
  const patterns = ['/api', '/recipes', '/:id', '/recent', '/recipes/:recipeId/ingredients', '/shopping-list', '/books', '/:id/page/:n', '/:user', '/:user/:bookId', '/bookmarks'];
  it.each([
    ['/api/recipes/12', '/api/recipes/:id'],
    ['/api/recipes/recent', '/api/recipes/recent'],
    ['/api/recipes/3/ingredients/9', '/api/recipes/:recipeId/ingredients/:id'],
    ['/books/the-harbor/page/2', '/books/:id/page/:n'],
    ['/bookmarks/ada/the-harbor', '/bookmarks/:user/:bookId'],
  ])('%s -> %s', (p, tpl) => {
    expect(templateFor(p, patterns)).toBe(tpl);
  });
  it('without declared routes, id-looking segments become parameters', () => {
    expect(templateFor('/undeclared/42/x/0f0e0d0c0b0a09080706', [])).toBe('/undeclared/:undeclaredId/x/:id');
  });
  it('never names one parameter twice, so dispatch gets each value (was /undeclared/:id/x/:id)', () => {
    const tpl = templateFor('/undeclared/42/x/0f0e0d0c0b0a09080706', []);
    expect(compileRoute(tpl)('/undeclared/42/x/0f0e0d0c0b0a09080706')).toEqual({ undeclaredId: '42', id: '0f0e0d0c0b0a09080706' });
    expect(templateFor('/a/1/b/2', ['/a/:id', '/b/:id'])).toBe('/a/:aId/b/:id');
  });
  it('groups by method and template', () => {
    const g = groupServices([{ method: 'GET', path: '/api/recipes/1' }, { method: 'GET', path: '/api/recipes/2' }, { method: 'DELETE', path: '/api/recipes/2' }], patterns);
    expect(g.map((x) => [x.id, x.items.length])).toEqual([['GET /api/recipes/:id', 2], ['DELETE /api/recipes/:id', 1]]);
  });
  it('reads plain-http route regexes', () => {
    expect(regexToRoute('^\\/elements\\/(?<symbol>[A-Z][a-z]?)$')).toBe('/elements/:symbol');
    expect(regexToRoute('^\\/items\\/(\\d+)\\/?$')).toBe('/items/:param1');
  });
});
