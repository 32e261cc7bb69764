// Regression client: exercises every route at least twice and checks the answers.
// Prints one line per request ("METHOD /path?query -> STATUS") and exits 1 on any surprise.
import assert from 'node:assert/strict';

const base = (process.argv[2] ?? `http://127.0.0.1:${process.env.PORT ?? 3105}`).replace(/\/$/, '');

async function call(method, path, { body, status = 200 } = {}) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  console.log(`${method} ${path} -> ${res.status}`);
  assert.equal(res.status, status, `${method} ${path}: expected ${status}, got ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

const ASPIRIN = 'CC(=O)Oc1ccccc1C(=O)O';
const SALICYLIC = 'OC(=O)c1ccccc1O';
const IBUPROFEN = 'CC(C)Cc1ccc(cc1)C(C)C(=O)O';
const CAFFEINE = 'CN1C=NC2=C1C(=O)N(C(=O)N2C)C';
const WAX_ACID = `${'C'.repeat(40)}(=O)O`;

async function main() {
  let misses = 0;
  const count = (r) => {
    if (r.cached === false) misses++;
    return r;
  };

  let r = await call('GET', '/elements');
  assert.equal(r.count, 18);
  assert.equal(r.elements[0].symbol, 'H');
  r = await call('GET', '/elements?sort=weight');
  assert.ok(r.elements.every((e, i) => i === 0 || r.elements[i - 1].weight <= e.weight));
  assert.equal(r.elements.at(-1).symbol, 'I');
  r = await call('GET', '/elements?sort=symbol');
  assert.equal(r.elements[0].symbol, 'B');
  await call('GET', '/elements?sort=mass', { status: 400 });
  r = await call('GET', '/elements/C');
  assert.equal(r.weight, 12.011);
  r = await call('GET', '/elements/Cl');
  assert.equal(r.name, 'Chlorine');
  await call('GET', '/elements/Xx', { status: 404 });

  r = await call('DELETE', '/cache');
  assert.equal(r.cleared, true);
  const before = await call('GET', '/stats');
  assert.equal(before.cacheEntries, 0);

  r = count(await call('POST', '/molweight', { body: { smiles: ASPIRIN } }));
  assert.deepEqual([r.formula, r.molecularWeight, r.cached], ['C9H8O4', 180.159, false]);
  r = count(await call('POST', '/molweight', { body: { formula: 'Ca(OH)2' } }));
  assert.deepEqual([r.formula, r.molecularWeight], ['CaH2O2', 74.092]);
  r = count(await call('POST', '/molweight', { body: { smiles: ASPIRIN } }));
  assert.equal(r.cached, true);
  await call('POST', '/molweight', { body: { formula: 'Xq2' }, status: 422 });

  r = count(await call('POST', '/lipinski', { body: { smiles: IBUPROFEN } }));
  assert.equal(r.passes, true);
  assert.deepEqual(r.violations, []);
  r = count(await call('POST', '/lipinski', { body: { smiles: WAX_ACID } }));
  assert.equal(r.passes, false);
  assert.deepEqual(r.violations, ['molecular weight > 500', 'logP > 5']);

  r = count(await call('POST', '/descriptors', { body: { smiles: CAFFEINE } }));
  assert.deepEqual([r.formula, r.hBondDonors, r.hBondAcceptors, r.rotatableBonds], ['C8H10N4O2', 0, 6, 0]);
  r = count(await call('POST', '/descriptors', { body: { smiles: SALICYLIC } }));
  assert.equal(r.formula, 'C7H6O3');
  assert.ok(r.tpsa > 50 && r.tpsa < 70, `tpsa ${r.tpsa}`);
  await call('POST', '/descriptors', { body: { smiles: 'C1CC' }, status: 422 });
  await call('POST', '/descriptors', { body: { smile: ASPIRIN }, status: 400 });

  r = count(await call('POST', '/similarity', { body: { a: ASPIRIN, b: SALICYLIC } }));
  assert.ok(r.similarity > 0.5 && r.similarity < 1, `similarity ${r.similarity}`);
  const close = r.similarity;
  r = count(await call('POST', '/similarity', { body: { a: ASPIRIN, b: CAFFEINE } }));
  assert.ok(r.similarity < close);
  r = count(await call('POST', '/similarity', { body: { a: IBUPROFEN, b: IBUPROFEN } }));
  assert.equal(r.similarity, 1);

  r = await call('POST', '/batch', { body: { molecules: [ASPIRIN, 'C1CC', CAFFEINE] } });
  assert.equal(r.count, 3);
  assert.equal(r.passing, 2);
  assert.match(r.results[1].error, /unclosed ring/);
  r.results.forEach(count);
  r = await call('POST', '/batch', { body: { molecules: [CAFFEINE, WAX_ACID] } });
  assert.equal(r.results[0].cached, true);
  assert.equal(r.results[1].lipinski.passes, false);
  r.results.forEach(count);
  await call('POST', '/batch', { body: { molecules: [] }, status: 400 });

  r = await call('GET', '/history?limit=3');
  assert.equal(r.count, 3);
  assert.equal(r.entries[2].kind, 'batch');
  assert.equal(r.entries[0].kind, 'similarity');
  assert.deepEqual(r.entries[0].input, { a: IBUPROFEN, b: IBUPROFEN });
  r = await call('GET', '/history');
  // 12 lines were appended above; the default limit is 20
  assert.ok(r.count >= 12 && r.count <= 20, `history count ${r.count}`);
  assert.deepEqual(r.entries.at(-1).summary, { passing: 1 });
  await call('GET', '/history?limit=0', { status: 400 });

  const after = await call('GET', '/stats');
  assert.equal(after.computations, before.computations + misses);
  assert.equal(after.cacheEntries, misses);
  r = await call('DELETE', '/cache');
  assert.equal(r.cleared, true);
  r = await call('GET', '/stats');
  assert.deepEqual(r, { computations: after.computations, cacheEntries: 0 });
}

main().catch((err) => {
  console.error(err.stack ?? err);
  process.exit(1);
});
