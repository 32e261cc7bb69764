import { test } from 'node:test';
import assert from 'node:assert/strict';

const base = process.env.LINKSHELF_URL || 'http://127.0.0.1:3107';

test('lists the seeded links', async () => {
  const res = await fetch(`${base}/api/links`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.ok(body.count >= 4);
});
