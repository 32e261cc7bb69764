// Regression client: every route at least twice, with checks on the answers.
// Prints "METHOD /path?query -> STATUS" per request; exits 1 on any unexpected answer.
import assert from 'node:assert/strict';
import { drawScene, encodeBmp, encodePpm } from './images.js';

const base = (process.argv[2] ?? `http://127.0.0.1:${process.env.PORT ?? 3107}`).replace(/\/$/, '');

async function call(method, path, { json, raw, type, status = 200 } = {}) {
  const init = { method, headers: {} };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['content-type'] = 'application/json';
  } else if (raw !== undefined) {
    init.body = raw;
    init.headers['content-type'] = type ?? 'application/octet-stream';
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  console.log(`${method} ${path} -> ${res.status}`);
  const allowed = Array.isArray(status) ? status : [status];
  assert.ok(allowed.includes(res.status), `${method} ${path}: expected ${allowed.join(' or ')}, got ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

function iou(a, b) {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  return (ix * iy) / (a.w * a.h + b.w * b.h - ix * iy);
}

// every drawn object found (same label, IoU >= 0.5) and nothing of another colour reported
function assertFinds(boxes, rects) {
  for (const r of rects) {
    assert.ok(boxes.some((b) => b.label === r.label && iou(b, r) >= 0.5), `no ${r.label} box near ${JSON.stringify(r)} in ${JSON.stringify(boxes)}`);
  }
  const drawn = new Set(rects.map((r) => r.label));
  assert.ok(boxes.every((b) => drawn.has(b.label)), `unexpected labels in ${JSON.stringify(boxes)}`);
}

const SCENE_A = [{ label: 'red', x: 64, y: 64, w: 128, h: 128 }, { label: 'blue', x: 320, y: 96, w: 192, h: 96 }, { label: 'yellow', x: 400, y: 400, w: 96, h: 192 }];
const SCENE_B = [{ label: 'green', x: 48, y: 304, w: 256, h: 128 }, { label: 'magenta', x: 480, y: 64, w: 160, h: 160 }, { label: 'cyan', x: 480, y: 400, w: 64, h: 64 }];

async function main() {
  let labels = await call('GET', '/labels');
  assert.deepEqual(labels.labels.map((l) => l.name), ['red', 'green', 'blue', 'yellow', 'cyan', 'magenta']);
  labels = await call('GET', '/labels');
  assert.equal(labels.labels.length, 6);
  const before = await call('GET', '/stats');

  const imageA = encodePpm(drawScene(640, 640, SCENE_A, 1)); // 1.2 MB
  const imageB = encodeBmp(drawScene(800, 600, SCENE_B, 2)); // 1.4 MB
  const a1 = await call('POST', '/detect?name=street', { raw: imageA, status: 201 });
  assert.deepEqual([a1.name, a1.width, a1.height], ['street', 640, 640]);
  assertFinds(a1.boxes, SCENE_A);
  const a2 = await call('POST', '/detect?name=street-again&minScore=0.99', { raw: imageA, type: 'image/x-portable-pixmap', status: 201 });
  assert.equal(a2.cached, true);
  assert.deepEqual(a2.boxes, a1.boxes.filter((b) => b.score >= 0.99));
  const b1 = await call('POST', '/detect', { raw: imageB, type: 'image/bmp', status: 201 });
  assert.deepEqual([b1.name, b1.width, b1.height], ['untitled', 800, 600]);
  assertFinds(b1.boxes, SCENE_B);
  await call('POST', '/detect?name=junk', { raw: Buffer.from('not an image at all'), status: 400 });
  await call('POST', '/detect', { raw: Buffer.from([0x89, 0x50, 0x4e, 0x47]), type: 'image/png', status: 415 });

  let page = await call('GET', '/detections?limit=2');
  assert.deepEqual(page.items.map((d) => d.id), [b1.id, a2.id]);
  assert.equal(page.items[1].boxCount, a2.boxes.length);
  page = await call('GET', '/detections?label=magenta&limit=50');
  assert.ok(page.items.some((d) => d.id === b1.id));
  assert.ok(!page.items.some((d) => d.id === a1.id));
  await call('GET', '/detections?label=unicorn', { status: 400 });

  let one = await call('GET', `/detections/${a1.id}`);
  assert.equal(one.boxes.length, a1.boxes.length);
  assert.deepEqual(one.boxes.map((b) => b.label).sort(), a1.boxes.map((b) => b.label).sort());
  assert.equal(one.bytes, imageA.length);
  one = await call('GET', '/detections/1');
  assert.deepEqual([one.hash, one.boxes.length, one.boxes[0].label], ['seed-5e1d0c', 2, 'blue']);

  let renamed = await call('PATCH', `/detections/${a1.id}`, { json: { name: 'street-corner' } });
  assert.deepEqual(renamed, { id: a1.id, name: 'street-corner' });
  assert.equal((await call('GET', `/detections/${a1.id}`)).name, 'street-corner');
  renamed = await call('PATCH', '/detections/1', { json: { name: 'parking-lot' } });
  assert.equal(renamed.name, 'parking-lot');
  await call('PATCH', '/detections/999999', { json: { name: 'ghost' }, status: 404 });

  assert.deepEqual(await call('DELETE', `/detections/${a2.id}`), { deleted: a2.id });
  await call('GET', `/detections/${a2.id}`, { status: 404 });
  await call('DELETE', `/detections/${a2.id}`, { status: 404 });
  assert.deepEqual(await call('DELETE', `/detections/${b1.id}`), { deleted: b1.id });
  // a seeded row exists only until the first run deletes it: every recorded service then has a
  // request that also succeeds against the freshly reset app
  const seed2 = await call('GET', '/detections/2', { status: [200, 404] });
  let deletedSeed = 0;
  if (seed2.id === 2) {
    assert.deepEqual([seed2.name, seed2.boxes], ['empty-wall', []]);
    assert.deepEqual(await call('DELETE', '/detections/2'), { deleted: 2 });
    deletedSeed = 1;
  }

  const after = await call('GET', '/stats');
  assert.ok(after.inferences - before.inferences <= 2, 'an image was analysed twice');
  assert.ok(after.cachedImages >= 2);
  assert.equal(after.stored, before.stored + 1 - deletedSeed);
}

main().catch((err) => {
  console.error(err.stack ?? err);
  process.exit(1);
});
