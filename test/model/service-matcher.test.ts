import { describe, expect, it } from 'vitest';
import { compareRouteSpecificity, compileServiceMatcher } from '../../src/model/service-id.js';

describe('model/service-id: a request goes to the most specific route', () => {
  const services = [
    { id: 'GET /items/:id', method: 'GET', route: '/items/:id' },
    { id: 'GET /items/favorites', method: 'GET', route: '/items/favorites' },
    { id: 'GET /items/:id/:part', method: 'GET', route: '/items/:id/:part' },
    { id: 'GET /items/:id/photo', method: 'GET', route: '/items/:id/photo' },
    { id: 'GET /files/*', method: 'GET', route: '/files/*' },
    { id: 'GET /files/:name', method: 'GET', route: '/files/:name' },
    { id: 'POST /items', method: 'POST', route: '/items' },
  ];
  const match = compileServiceMatcher(services);

  it('literal segments win over params, whatever the order the services are listed in', () => {
    expect(match('GET', '/items/favorites')?.id).toBe('GET /items/favorites');
    expect(match('GET', '/items/7')?.id).toBe('GET /items/:id');
    expect(match('GET', '/items/7/photo')?.id).toBe('GET /items/:id/photo');
    expect(match('GET', '/items/7/notes')?.id).toBe('GET /items/:id/:part');
    expect(compileServiceMatcher([...services].reverse())('GET', '/items/favorites')?.id).toBe('GET /items/favorites');
  });

  it('params win over *, methods must agree, and nothing that fits is undefined', () => {
    expect(match('GET', '/files/a.txt')?.id).toBe('GET /files/:name');
    expect(match('GET', '/files/a/b.txt')?.id).toBe('GET /files/*');
    expect(match('post', '/items')?.id).toBe('POST /items');
    expect(match('DELETE', '/items/7')).toBeUndefined();
    expect(compareRouteSpecificity('/items/favorites', '/items/:id')).toBeLessThan(0);
    // the edge's order: the earlier literal wins
    expect(compileServiceMatcher([{ method: 'GET', route: '/:a/b' }, { method: 'GET', route: '/x/:c' }])('GET', '/x/b')?.route).toBe('/x/:c');
  });
});
