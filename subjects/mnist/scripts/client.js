'use strict';
// Regression client: every route at least twice, with checks on the answers.
// Prints "METHOD /path?query -> STATUS" per request; exits 1 on any unexpected answer.
const assert = require('node:assert/strict');
const { renderDigit } = require('../src/glyphs.js');

const base = (process.argv[2] || `http://127.0.0.1:${process.env.PORT || 3106}`).replace(/\/$/, '');

async function call(method, path, { body, status = 200 } = {}) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  console.log(`${method} ${path} -> ${res.status}`);
  const allowed = Array.isArray(status) ? status : [status];
  assert.ok(allowed.includes(res.status), `${method} ${path}: expected ${allowed.join(' or ')}, got ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

function pgm(pixels, width, height, ascii) {
  if (ascii) return Buffer.from(`P2\n# drawn by the client\n${width} ${height}\n255\n${pixels.join(' ')}\n`).toString('base64');
  return Buffer.concat([Buffer.from(`P5\n${width} ${height}\n255\n`), Buffer.from(pixels)]).toString('base64');
}

// 2x nearest-neighbour upscale, to check the server's resampling
function upscale(pixels) {
  const out = [];
  for (let y = 0; y < 56; y++) for (let x = 0; x < 56; x++) out.push(pixels[Math.floor(y / 2) * 28 + Math.floor(x / 2)]);
  return out;
}

async function main() {
  const model = await call('GET', '/model');
  assert.deepEqual(model.layers, [784, 64, 10]);
  assert.equal(model.parameters, 50890);
  assert.equal((await call('GET', '/model')).checksum, model.checksum);

  const before = await call('GET', '/stats');

  const seven = renderDigit(7, 1, 0);
  const p1 = await call('POST', '/predict', { body: { pixels: seven }, status: 201 });
  assert.equal(p1.digit, 7);
  assert.equal(p1.probabilities.length, 10);
  assert.ok(Math.abs(p1.probabilities.reduce((a, b) => a + b, 0) - 1) < 0.01);
  const p2 = await call('POST', '/predict', { body: { pixels: seven }, status: 201 });
  assert.deepEqual([p2.digit, p2.cached, p2.probabilities], [7, true, p1.probabilities]);
  assert.ok(p2.id > p1.id);
  const p3 = await call('POST', '/predict', { body: { pgm: pgm(renderDigit(3, -1, 1), 28, 28, false) }, status: 201 });
  assert.equal(p3.digit, 3);
  const p4 = await call('POST', '/predict', { body: { pgm: pgm(upscale(renderDigit(0)), 56, 56, true) }, status: 201 });
  assert.equal(p4.digit, 0);
  await call('POST', '/predict', { body: { pixels: [1, 2, 3] }, status: 400 });
  await call('POST', '/predict', { body: { pgm: Buffer.from('P6\n1 1\n255\n').toString('base64') }, status: 400 });

  let list = await call('GET', '/predictions?limit=2');
  assert.deepEqual(list.items.map((p) => p.id), [p4.id, p3.id]);
  assert.equal(list.items[1].source, 'pgm');
  list = await call('GET', '/predictions?digit=7&limit=5');
  assert.ok(list.items.every((p) => p.digit === 7));
  assert.deepEqual(list.items.slice(0, 2).map((p) => p.id), [p2.id, p1.id]);
  await call('GET', '/predictions?limit=500', { status: 400 });

  let one = await call('GET', `/predictions/${p1.id}`);
  assert.deepEqual([one.digit, one.label, one.corrections, one.source], [7, null, 0, 'pixels']);
  one = await call('GET', '/predictions/2');
  assert.deepEqual([one.inputHash, one.digit], ['seed-77c0', 7]);
  assert.ok(one.corrections >= 1);

  let fb = await call('POST', '/feedback', { body: { predictionId: p1.id, label: 1, note: 'looks like a one' }, status: 201 });
  assert.deepEqual([fb.predicted, fb.label, fb.agreed], [7, 1, false]);
  one = await call('GET', `/predictions/${p1.id}`);
  assert.deepEqual([one.label, one.corrections], [1, 1]);
  fb = await call('POST', '/feedback', { body: { predictionId: 1, label: 3 }, status: 201 });
  assert.equal(fb.agreed, true);
  await call('POST', '/feedback', { body: { predictionId: 999999, label: 2 }, status: 404 });
  await call('POST', '/feedback', { body: { predictionId: 1, label: 12 }, status: 400 });

  assert.deepEqual(await call('DELETE', `/predictions/${p3.id}`), { deleted: p3.id });
  await call('GET', `/predictions/${p3.id}`, { status: 404 });
  await call('DELETE', `/predictions/${p3.id}`, { status: 404 });
  assert.deepEqual(await call('DELETE', `/predictions/${p1.id}`), { deleted: p1.id });
  // a seeded row exists only until the first run deletes it: every recorded service then has a
  // request that also succeeds against the freshly reset app
  const seed3 = await call('GET', '/predictions/3', { status: [200, 404] });
  if (seed3.id === 3) {
    assert.equal(seed3.inputHash, 'seed-0b9e');
    assert.deepEqual(await call('DELETE', '/predictions/3'), { deleted: 3 });
  }

  const after = await call('GET', '/stats');
  assert.equal(after.predictions, before.predictions + 4);
  assert.equal(after.feedback, before.feedback + 2);
  assert.equal(after.byDigit[7], before.byDigit[7] + 2);
  assert.equal(after.byDigit[0], before.byDigit[0] + 1);
  assert.ok(after.cacheEntries >= 3);
}

main().catch((err) => {
  console.error(err.stack || err);
  process.exit(1);
});
