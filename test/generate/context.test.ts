/** Pure helpers of the template contexts. */
import { describe, expect, it } from 'vitest';
import { compareRouteSpecificity, normalizeFilePaths, placeTables } from '../../src/generate/context.js';

describe('compareRouteSpecificity', () => {
  it('puts static segments before params and params before *', () => {
    const routes = ['/notes/*', '/notes/:id', '/notes/new', '/a', '/notes'];
    expect([...routes].sort(compareRouteSpecificity)).toEqual(['/a', '/notes', '/notes/new', '/notes/:id', '/notes/*']);
  });
});

describe('normalizeFilePaths', () => {
  it('marks directories with a trailing slash and drops files under them', () => {
    const known = ['data/books/a.txt', 'data/books/b.txt', 'data/access.log', 'src/x.js'];
    expect(normalizeFilePaths(['data/books', 'data/books/a.txt', 'data/access.log', 'data/new.json'], known)).toEqual([
      'data/access.log',
      'data/books/',
      'data/new.json',
    ]);
  });

  it('recognizes a directory from the listed paths alone', () => {
    expect(normalizeFilePaths(['data/books', 'data/books/x.txt', 'data/log'], [])).toEqual(['data/books/', 'data/log']);
  });
});

describe('placeTables', () => {
  it('assigns each table to the database that holds it and warns about the others', () => {
    const { placed, warnings } = placeTables(['notes', 'users', 'ghost'], [
      { path: 'data/a.db', tables: ['notes'] },
      { path: 'data/b.db', tables: ['users', 'notes'] },
    ]);
    expect(placed).toEqual([
      { path: 'data/a.db', tables: ['notes'] },
      { path: 'data/b.db', tables: ['users'] },
    ]);
    expect(warnings).toEqual(['table ghost: no SQLite database in the snapshot holds it; it is not replicated (run `edgstr analyze` again)']);
  });

  it('finds a table whatever the case analysis used, under the name the database declares (ORMs create `Users`)', () => {
    const { placed, warnings } = placeTables(['sessions', 'users', 'Patients'], [{ path: 'dev.sqlite', tables: ['Users', 'Patients', 'Sessions'] }]);
    expect(warnings).toEqual([]);
    expect(placed).toEqual([{ path: 'dev.sqlite', tables: ['Sessions', 'Users', 'Patients'] }]);
  });
});
