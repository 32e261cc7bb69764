import { describe, expect, it } from 'vitest';
import { widenCollections } from '../../src/model/file-collections.js';

describe('widenCollections', () => {
  it('replicates a directory of request-keyed entries, not the few the recording saw', () => {
    expect(widenCollections(['data/activity.json', 'uploads/1', 'uploads/5', 'uploads/5/spec.md', 'uploads/9', 'uploads/9/notes.txt'], ['server.js'], ['data/kanban.sqlite'])).toEqual([
      'data/activity.json',
      'uploads/',
    ]);
    expect(widenCollections(['data/favorites/alice.json', 'data/favorites/alice.json.tmp', 'data/favorites/bob.json'], ['src/server.js'], [])).toEqual(['data/favorites/']);
  });
  it('keeps single entries, mixed kinds, the app root, code and database directories as they are', () => {
    expect(widenCollections(['uploads/1/a.txt'], [], [])).toEqual(['uploads/1/a.txt']);
    expect(widenCollections(['data/access.log', 'data/bookmarks.json', 'data/bookmarks.json.tmp', 'data/books/'], [], [])).toEqual([
      'data/access.log',
      'data/bookmarks.json',
      'data/bookmarks.json.tmp',
      'data/books/',
    ]);
    expect(widenCollections(['a.json', 'b.json'], [], [])).toEqual(['a.json', 'b.json']);
    expect(widenCollections(['src/a.json', 'src/b.json'], ['src/server.js'], [])).toEqual(['src/a.json', 'src/b.json']);
    expect(widenCollections(['data/a.json', 'data/b.json'], [], ['data/app.db'])).toEqual(['data/a.json', 'data/b.json']);
  });
});
