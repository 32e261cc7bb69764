import { fileURLToPath } from 'node:url';
import type { Entry, Har } from 'har-format';
import { describe, expect, it } from 'vitest';
import { findDeclaredRoutes, inferServices, toOpenApi } from '../../src/services/index.js';
import { regexToRoute } from '../../src/services/regex-route.js';

const fixtures = fileURLToPath(new URL('../fixtures/record/apps/', import.meta.url));

/** A HAR from [method, url, status?, responseJson?, requestJson?] rows. */
function har(rows: [string, string, number?, unknown?, unknown?][]): Har {
  const entries = rows.map(([method, url, status = 200, res, req]) => {
    const u = new URL(url, 'http://127.0.0.1:3000');
    return {
      startedDateTime: new Date(0).toISOString(),
      time: 1,
      request: {
        method, url: u.href, httpVersion: 'HTTP/1.1', headers: [], cookies: [], headersSize: -1, bodySize: 0,
        queryString: [...u.searchParams].map(([name, value]) => ({ name, value })),
        ...(req !== undefined ? { postData: { mimeType: 'application/json', text: JSON.stringify(req) } } : {}),
      },
      response: {
        status, statusText: '', httpVersion: 'HTTP/1.1', headers: [], cookies: [], redirectURL: '', headersSize: -1, bodySize: 0,
        content: { size: 0, mimeType: 'application/json', text: res === undefined ? '' : JSON.stringify(res) },
      },
      cache: {},
      timings: { send: 0, wait: 0, receive: 0 },
    } as Entry;
  });
  return { log: { version: '1.2', creator: { name: 't', version: '1' }, entries } };
}

const ids = (h: Har, declared?: Parameters<typeof inferServices>[1]): string[] => inferServices(h, declared).map((s) => `${s.id} ${s.count}`);

describe('route inference from traffic', () => {
  it('turns numbers, UUIDs and hex ids into :params and keeps the query out of the id', () => {
    const h = har([
      ['GET', '/notes?limit=2'], ['GET', '/notes/12'], ['GET', '/notes/13?x=1'], ['PUT', '/notes/12'],
      ['GET', '/users/0b6e4a3c-1f7e-4c9a-9d0b-2b7f6c1e9a11/avatar'], ['GET', '/users/5f2d9c1e8b7a6d5c4b3a2f1e/avatar'],
      ['GET', '/blobs/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
    ]);
    expect(ids(h)).toEqual(['GET /notes 1', 'GET /notes/:id 2', 'PUT /notes/:id 1', 'GET /users/:id/avatar 2', 'GET /blobs/:id 1']);
  });

  it('makes a varying word a param when the traffic handed it out, and names it after its key', () => {
    const h = har([
      ['GET', '/elements', 200, { elements: [{ symbol: 'C' }, { symbol: 'Cl' }, { symbol: 'Na' }] }],
      ['GET', '/elements/C', 200, { symbol: 'C', name: 'Carbon' }],
      ['GET', '/elements/Cl', 200, { symbol: 'Cl', name: 'Chlorine' }],
      ['GET', '/elements/Xx', 404, { error: 'no such element' }],
      ['POST', '/molweight', 200, { weight: 12 }], ['POST', '/lipinski', 200, { ok: true }], ['GET', '/stats', 200, { n: 1 }],
    ]);
    expect(ids(h)).toEqual(['GET /elements 1', 'GET /elements/:symbol 3', 'POST /molweight 1', 'POST /lipinski 1', 'GET /stats 1']);
  });

  it('keeps distinct static words apart (no evidence, different shapes) and names nested params', () => {
    const h = har([
      ['GET', '/api/recipes/recent'], ['GET', '/api/recipes/popular'], ['GET', '/api/recipes/3'],
      ['GET', '/api/recipes/3/ingredients/7'], ['DELETE', '/api/recipes/4/ingredients/8'],
    ]);
    expect(ids(h)).toEqual(['GET /api/recipes/recent 1', 'GET /api/recipes/popular 1', 'GET /api/recipes/:id 1', 'GET /api/recipes/:recipeId/ingredients/:id 1', 'DELETE /api/recipes/:recipeId/ingredients/:id 1']);
  });

  it('puts a bad id the server refused with 4xx into the template of the same shape', () => {
    const h = har([
      ['GET', '/notes/12'], ['GET', '/notes/13'], ['GET', '/notes/abc', 404, { error: 'not found' }],
      ['DELETE', '/photos/3'], ['DELETE', '/photos/4'], ['DELETE', '/photos/zero', 400, { error: 'bad id' }],
      ['GET', '/notes/recent', 200, [{ id: 12 }]],
    ]);
    expect(ids(h)).toEqual(['GET /notes/:id 3', 'DELETE /photos/:id 3', 'GET /notes/recent 1']);
  });

  it('never names one parameter twice in a template', () => {
    const h = har([['GET', '/notes/12/tags/7'], ['GET', '/notes/13/tags/8']]);
    expect(ids(h)).toEqual(['GET /notes/:noteId/tags/:id 2']);
  });

  it('never folds first-level words into a param by evidence alone', () => {
    const h = har([['GET', '/alpha', 200, { name: 'beta' }], ['GET', '/beta', 200, { name: 'alpha' }]]);
    expect(ids(h)).toEqual(['GET /alpha 1', 'GET /beta 1']);
  });

  it('lets declared routes win (most specific first) and infers the rest', () => {
    const h = har([['GET', '/users/me'], ['GET', '/users/alice'], ['GET', '/other/5']]);
    expect(ids(h, [{ method: 'GET', route: '/users/:name' }, { method: 'GET', route: '/users/me' }])).toEqual(['GET /users/me 1', 'GET /users/:name 1', 'GET /other/:id 1']);
  });

  it('writes OpenAPI 3.1 with path params and examples', () => {
    const h = har([['GET', '/notes/12?v=1', 200, { id: 12 }], ['POST', '/notes', 201, { id: 13 }, { text: 'hi' }]]);
    const doc = toOpenApi(inferServices(h), h) as { openapi: string; paths: Record<string, Record<string, { parameters: { name: string; in: string; example?: string }[]; requestBody?: unknown; responses: Record<string, unknown> }>> };
    expect(doc.openapi).toBe('3.1.0');
    const get = doc.paths['/notes/{id}']!.get!;
    expect(get.parameters).toContainEqual(expect.objectContaining({ name: 'id', in: 'path', example: '12' }));
    expect(get.parameters).toContainEqual(expect.objectContaining({ name: 'v', in: 'query' }));
    expect(doc.paths['/notes']!.post!.requestBody).toEqual({ content: { 'application/json': { example: { text: 'hi' } } } });
    expect(Object.keys(doc.paths['/notes']!.post!.responses)).toEqual(['201']);
  });
});

describe('declared routes from source', () => {
  const routes = (app: string): string[] => findDeclaredRoutes(fixtures + app).routes.map((r) => `${r.method} ${r.route}`).sort();

  it('follows Express mounts across require, destructuring and ESM exports', () => {
    expect(routes('express-mounts')).toEqual([
      'DELETE /api/v1/orders/:orderId', 'GET /api/v1/users', 'GET /api/v1/users/:userId', 'GET /api/v1/users/me', 'GET /files/:name', 'GET /health', 'HEAD /health', 'POST /api/v1/users/:userId/avatar',
    ]);
  });

  it('reads only the files the server loads: a front-end it cannot parse and scripts beside it are not its code', () => {
    const found = findDeclaredRoutes(`${fixtures}express-frontend`);
    expect(found.routes.map((r) => `${r.method} ${r.route}`)).toEqual(['GET /api/items/:id']);
    expect(found.skipped).toEqual([]);
  });

  it('applies Koa router prefixes and nested router.use mounts', () => {
    expect(routes('koa-prefix')).toEqual(['GET /api/ping', 'GET /api/shops/:shopId/items', 'POST /api/shops/:shopId/items', 'PUT /api/shops/:shopId/items/:itemId']);
  });

  it('follows Fastify register prefixes and route({ method, url })', () => {
    expect(routes('fastify-prefix')).toEqual(['GET /notes', 'GET /notes/:noteId', 'GET /sys/status', 'HEAD /sys/status', 'PATCH /notes/:noteId']);
  });

  it('reads anchored regex route tables of hand-written routers', () => {
    expect(regexToRoute('^\\/elements\\/(?<symbol>[A-Z][a-z]?)$')).toBe('/elements/:symbol');
    expect(regexToRoute('^\\/a\\/(\\d+)\\/b$')).toBe('/a/:param1/b');
    expect(regexToRoute('^\\/a|b$')).toBeUndefined();
    expect(regexToRoute('^\\/a\\/\\d+$')).toBeUndefined();
  });
});
