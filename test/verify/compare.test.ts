import { describe, expect, it } from 'vitest';
import { compareResponses, leaves, parseBody, volatilePaths } from '../../src/verify/compare.js';
import { IdMap, edgeAllocated } from '../../src/verify/id-map.js';

describe('verify/compare', () => {
  it('lists leaves with stable paths', () => {
    expect(leaves({ b: [1, { c: 'x' }], a: {} })).toEqual([
      { path: '$.a', value: {} },
      { path: '$.b[0]', value: 1 },
      { path: '$.b[1].c', value: 'x' },
    ]);
  });

  it('parses JSON bodies and keeps text as text', () => {
    expect(parseBody('{"a":1}', 'application/json')).toEqual({ a: 1 });
    expect(parseBody('hello', 'text/plain')).toBe('hello');
    expect(parseBody('{broken', 'application/json')).toBe('{broken');
  });

  it('finds volatile paths from repeated runs', () => {
    const v = volatilePaths([
      { at: '2026-01-01T00:00:00Z', n: 1 },
      { at: '2026-01-01T00:00:05Z', n: 1 },
    ]);
    expect([...v]).toEqual(['$.at']);
  });

  it('masks volatile paths and fails on real differences', () => {
    const v = new Set(['$.at']);
    const ok = compareResponses({ status: 200, body: { at: 1, name: 'a' } }, { status: 200, body: { at: 2, name: 'a' } }, v, new IdMap());
    expect(ok.ok).toBe(true);
    expect(ok.masked).toBe(1);
    const bad = compareResponses({ status: 200, body: { name: 'a' } }, { status: 200, body: { name: 'b' } }, v, new IdMap());
    expect(bad.ok).toBe(false);
    expect(bad.differences).toEqual([{ path: '$.name', expected: 'a', actual: 'b' }]);
    const status = compareResponses({ status: 200, body: 'x' }, { status: 404, body: 'x' }, v, new IdMap());
    expect(status.ok).toBe(false);
  });

  it('learns the renaming of a created id even where the id is volatile (random UUIDs, keys that differed between replays)', () => {
    const ids = new IdMap();
    const a = '0b7e6c1e-5f3a-4c1d-9a8e-2f1d3c4b5a69';
    const b = '9f1c2d3e-4b5a-4697-8e7d-6c5b4a392817';
    const created = compareResponses({ status: 201, body: { id: a, title: 't' } }, { status: 201, body: { id: b, title: 't' } }, new Set(['$.id']), ids, true, '/api/boards/1/cards');
    expect(created.ok).toBe(true);
    expect(ids.rewritePath(`/api/boards/1/cards/${a}`)).toBe(`/api/boards/1/cards/${b}`);
  });

  it('accepts consistently renamed ids per kind of thing and rewrites later requests', () => {
    const ids = new IdMap();
    const get = compareResponses({ status: 200, body: { id: 7 } }, { status: 200, body: { id: 1099511627783 } }, new Set(), ids, false, '/donuts/7');
    expect(get.ok).toBe(false); // a read does not teach renamings
    const created = compareResponses({ status: 201, body: { id: 7 } }, { status: 201, body: { id: 1099511627783 } }, new Set(), ids, true, '/donuts');
    expect(created.ok).toBe(true);
    // shop 7 is another thing than donut 7
    const shop = compareResponses({ status: 201, body: { id: 7, name: 'x' } }, { status: 201, body: { id: 33554433, name: 'x' } }, new Set(), ids, true, '/shops');
    expect(shop.ok).toBe(true);
    expect(ids.rewritePath('/donuts/7?donutId=7&x=7')).toBe('/donuts/1099511627783?donutId=1099511627783&x=7');
    expect(ids.rewritePath('/shops/7/staff')).toBe('/shops/33554433/staff');
    expect(ids.rewriteJson({ donutId: 7, shop_id: 7, name: '7 up', count: 7 }, '/orders')).toEqual({ donutId: 1099511627783, shop_id: 33554433, name: '7 up', count: 7 });
    expect(ids.rewriteJson({ id: 7 }, '/shops/7')).toEqual({ id: 33554433 });
    // an id inside a message
    const msg = compareResponses({ status: 404, body: { error: 'donut 7 not found' } }, { status: 404, body: { error: 'donut 1099511627783 not found' } }, new Set(), ids, false, '/donuts/1099511627783');
    expect(msg.ok).toBe(true);
    // an inconsistent renaming is a difference
    const clash = compareResponses({ status: 200, body: { id: 7 } }, { status: 200, body: { id: 8 } }, new Set(), ids, true, '/donuts');
    expect(clash.ok).toBe(false);
    // the same thing listed under another collection name: a pair learned elsewhere is accepted
    compareResponses({ status: 201, body: { id: 5 } }, { status: 201, body: { id: 1107296257 } }, new Set(), ids, true, '/detect');
    const listed = compareResponses({ status: 200, body: { items: [{ id: 5 }] } }, { status: 200, body: { items: [{ id: 1107296257 }] } }, new Set(), ids, false, '/detections');
    expect(listed.ok).toBe(true);
    expect(ids.rewritePath('/detections/5')).toBe('/detections/1107296257');
    // a number that is not in an id field is never renamed
    const count = compareResponses({ status: 201, body: { stock: 7 } }, { status: 201, body: { stock: 8 } }, new Set(), ids, true, '/donuts');
    expect(count.ok).toBe(false);
  });

  it('renames ids echoed under any key, in messages of a related kind, and in comma-listed query values', () => {
    const ids = new IdMap();
    // POST /predict creates prediction 6, which the edge calls 1107296257
    expect(compareResponses({ status: 201, body: { id: 6 } }, { status: 201, body: { id: 1107296257 } }, new Set(), ids, true, '/predict').ok).toBe(true);
    expect(ids.rewritePath('/predictions/6')).toBe('/predictions/1107296257');
    const deleted = compareResponses({ status: 200, body: { deleted: 6 } }, { status: 200, body: { deleted: 1107296257 } }, new Set(), ids, false, '/predictions/1107296257');
    expect(deleted.ok).toBe(true);
    const gone = compareResponses({ status: 404, body: { error: 'no prediction 6' } }, { status: 404, body: { error: 'no prediction 1107296257' } }, new Set(), ids, false, '/predictions/1107296257');
    expect(gone.ok).toBe(true);
    // any other value under a non-id key is still a difference
    expect(compareResponses({ status: 200, body: { deleted: 6 } }, { status: 200, body: { deleted: 7 } }, new Set(), ids, false, '/predictions/7').ok).toBe(false);
    // `recipes=5,4`: a key naming a collection, with a comma list; other pairs stay byte for byte
    compareResponses({ status: 201, body: { id: 5 } }, { status: 201, body: { id: 33554433 } }, new Set(), ids, true, '/api/recipes');
    expect(ids.rewritePath('/api/shopping-list?recipes=5,4&q=a+b%20c')).toBe('/api/shopping-list?recipes=33554433,4&q=a+b%20c');
    expect(ids.rewritePath('/api/shopping-list?page=5')).toBe('/api/shopping-list?page=5');
  });

  it('learns from a read an id only an edge could have generated (child rows never returned on create)', () => {
    const ids = new IdMap(edgeAllocated);
    const edgeBox = 2 ** 24 + 3; // slot 1 of window 0: edge 1's range
    const read = compareResponses({ status: 200, body: { boxes: [{ id: 12 }] } }, { status: 200, body: { boxes: [{ id: edgeBox }] } }, new Set(), ids, false, '/detections/5');
    expect(read.ok).toBe(true);
    expect(ids.rewritePath('/boxes/12')).toBe(`/boxes/${edgeBox}`);
    // an id in the cloud's slot (0) teaches nothing from a read
    const cloud = compareResponses({ status: 200, body: { boxes: [{ id: 13 }] } }, { status: 200, body: { boxes: [{ id: 14 }] } }, new Set(), ids, false, '/detections/5');
    expect(cloud.ok).toBe(false);
    // and a learned pair still has to stay consistent
    const clash = compareResponses({ status: 200, body: { boxes: [{ id: 12 }] } }, { status: 200, body: { boxes: [{ id: edgeBox + 1 }] } }, new Set(), ids, false, '/detections/5');
    expect(clash.ok).toBe(false);
    expect(edgeAllocated(String(2 ** 30 + 5))).toBe(false); // window 1, slot 0: the cloud
    expect(edgeAllocated(String(2 ** 30 + 2 * 2 ** 24))).toBe(true);
    expect(edgeAllocated('abc')).toBe(false);
  });

  it('does not treat free text as ids', () => {
    const r = compareResponses({ status: 200, body: { name: 'Glazed' } }, { status: 200, body: { name: 'Sprinkled' } }, new Set(), new IdMap());
    expect(r.ok).toBe(false);
  });

  it('renames ids inside links (href strings), learning from the link itself and staying consistent', () => {
    const ids = new IdMap(edgeAllocated);
    const edgeNote = 2 ** 24 + 1;
    // `href` sorts before `id`: the link is the first place the renaming shows
    const created = compareResponses(
      { status: 201, body: { href: '/notes/5/attachments/x.txt', id: 5 } },
      { status: 201, body: { href: `/notes/${edgeNote}/attachments/x.txt`, id: edgeNote } },
      new Set(),
      ids,
      true,
      '/notes',
    );
    expect(created.ok).toBe(true);
    expect(ids.rewritePath('/notes/5')).toBe(`/notes/${edgeNote}`);
    const listed = compareResponses({ status: 200, body: [{ url: 'http://h/notes/5' }] }, { status: 200, body: [{ url: `http://h/notes/${edgeNote}` }] }, new Set(), ids, false, '/notes');
    expect(listed.ok).toBe(true);
    // another id in the link, or another text around it, is a real difference
    const wrongId = compareResponses({ status: 200, body: { href: '/notes/5' } }, { status: 200, body: { href: `/notes/${edgeNote + 1}` } }, new Set(), ids, false, '/notes');
    expect(wrongId.ok).toBe(false);
    const wrongName = compareResponses({ status: 200, body: { href: '/notes/5/a.txt' } }, { status: 200, body: { href: `/notes/${edgeNote}/b.txt` } }, new Set(), ids, false, '/notes');
    expect(wrongName.ok).toBe(false);
    // an id inside a file name, named by the word before it
    const photo = compareResponses({ status: 201, body: { photo: '/uploads/note-5-x.svg' } }, { status: 201, body: { photo: `/uploads/note-${edgeNote}-x.svg` } }, new Set(), ids, true, '/notes/5/photo');
    expect(photo.ok).toBe(true);
    expect(ids.rewritePath('/uploads/note-5-x.svg')).toBe(`/uploads/note-${edgeNote}-x.svg`);
    expect(ids.rewritePath('/uploads/page-5-x.svg')).toBe('/uploads/page-5-x.svg');
  });
});
