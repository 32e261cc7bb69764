import { ELEMENTS, hillFormula, molecularWeight, parseFormula } from './chem/elements.js';
import { parseSmiles, atomCounts } from './chem/smiles.js';
import { describe, lipinski, fingerprint, tanimoto, bitCount } from './chem/descriptors.js';
import { cached, remember, cacheSize, clearCache } from './cache.js';
import { computations, recordComputation } from './stats.js';
import { appendHistory, readHistory } from './history.js';
import { sendJson, HttpError } from './respond.js';

const MAX_BATCH = 50;

// Runs fn once per distinct key; later calls with the same key are answered from the memo.
function memoized(key, fn) {
  const hit = cached(key);
  if (hit !== undefined) return { result: hit, cached: true };
  const result = fn();
  remember(key, result);
  recordComputation();
  return { result, cached: false };
}

function requireSmiles(value, field = 'smiles') {
  if (typeof value !== 'string' || value.trim() === '') throw new HttpError(400, `${field} must be a non-empty string`);
  return value.trim();
}

function chemistry(fn) {
  try {
    return fn();
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(422, err.message);
  }
}

// Answers only after the history line is on disk, so GET /history right after sees it.
function answer(res, kind, input, outcome) {
  appendHistory({ kind, input, summary: outcome.result }, (err) => {
    if (err) return sendJson(res, 500, { error: 'cannot write history' });
    sendJson(res, 200, { ...outcome.result, cached: outcome.cached });
  });
}

export function listElements(req, res, params, query) {
  const sort = query.get('sort') ?? 'number';
  if (!['number', 'weight', 'symbol'].includes(sort)) throw new HttpError(400, 'sort must be number, weight or symbol');
  const elements = Object.entries(ELEMENTS).map(([symbol, e]) => ({ symbol, name: e.name, number: e.number, weight: e.weight }));
  elements.sort((a, b) => (sort === 'symbol' ? a.symbol.localeCompare(b.symbol) : a[sort] - b[sort]));
  sendJson(res, 200, { count: elements.length, elements });
}

export function getElement(req, res, params) {
  const element = ELEMENTS[params.symbol];
  if (!element) throw new HttpError(404, `no element ${params.symbol}`);
  sendJson(res, 200, { symbol: params.symbol, ...element });
}

export function postMolecularWeight(req, res, params, query, body) {
  if (typeof body.formula === 'string') {
    const formula = body.formula.trim();
    const outcome = memoized(`mw:formula:${formula}`, () => chemistry(() => {
      const counts = parseFormula(formula);
      return { formula: hillFormula(counts), molecularWeight: molecularWeight(counts) };
    }));
    return answer(res, 'molweight', { formula }, outcome);
  }
  const smiles = requireSmiles(body.smiles);
  const outcome = memoized(`mw:smiles:${smiles}`, () => chemistry(() => {
    const counts = atomCounts(parseSmiles(smiles));
    return { formula: hillFormula(counts), molecularWeight: molecularWeight(counts) };
  }));
  answer(res, 'molweight', { smiles }, outcome);
}

export function postLipinski(req, res, params, query, body) {
  const smiles = requireSmiles(body.smiles);
  const outcome = memoized(`lipinski:${smiles}`, () => chemistry(() => {
    const d = describe(parseSmiles(smiles));
    return {
      molecularWeight: d.molecularWeight, logP: d.logP, hBondDonors: d.hBondDonors,
      hBondAcceptors: d.hBondAcceptors, ...lipinski(d),
    };
  }));
  answer(res, 'lipinski', { smiles }, outcome);
}

export function postDescriptors(req, res, params, query, body) {
  const smiles = requireSmiles(body.smiles);
  const outcome = memoized(`descriptors:${smiles}`, () => chemistry(() => describe(parseSmiles(smiles))));
  answer(res, 'descriptors', { smiles }, outcome);
}

export function postSimilarity(req, res, params, query, body) {
  const a = requireSmiles(body.a, 'a');
  const b = requireSmiles(body.b, 'b');
  const outcome = memoized(`similarity:${a}|${b}`, () => chemistry(() => {
    const fa = fingerprint(parseSmiles(a));
    const fb = fingerprint(parseSmiles(b));
    return { similarity: tanimoto(fa, fb), bitsA: bitCount(fa), bitsB: bitCount(fb) };
  }));
  answer(res, 'similarity', { a, b }, outcome);
}

export function postBatch(req, res, params, query, body) {
  if (!Array.isArray(body.molecules) || body.molecules.length === 0 || body.molecules.length > MAX_BATCH) {
    throw new HttpError(400, `molecules must be an array of 1 to ${MAX_BATCH} SMILES strings`);
  }
  const results = body.molecules.map((smiles) => {
    if (typeof smiles !== 'string' || smiles.trim() === '') return { smiles, error: 'not a SMILES string' };
    try {
      const outcome = memoized(`batch:${smiles.trim()}`, () => {
        const d = describe(parseSmiles(smiles.trim()));
        return { ...d, lipinski: lipinski(d) };
      });
      return { smiles, ...outcome.result, cached: outcome.cached };
    } catch (err) {
      return { smiles, error: err.message };
    }
  });
  const passing = results.filter((r) => r.lipinski?.passes).length;
  appendHistory({ kind: 'batch', input: { count: results.length }, summary: { passing } }, (err) => {
    if (err) return sendJson(res, 500, { error: 'cannot write history' });
    sendJson(res, 200, { count: results.length, passing, results });
  });
}

export async function getHistory(req, res, params, query) {
  const limit = Number(query.get('limit') ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit must be an integer from 1 to 1000');
  const entries = await readHistory(limit);
  sendJson(res, 200, { count: entries.length, entries });
}

export function getStats(req, res) {
  sendJson(res, 200, { computations, cacheEntries: cacheSize() });
}

export function deleteCache(req, res) {
  clearCache();
  sendJson(res, 200, { cleared: true });
}
