// Memo of computed results keyed by the normalized request, so repeated screens of the same
// molecule cost nothing. Oldest entries go first once the cache is full.
const MAX_ENTRIES = 500;
const memo = new Map();

export function cached(key) {
  return memo.get(key);
}

export function remember(key, value) {
  if (memo.size >= MAX_ENTRIES) memo.delete(memo.keys().next().value);
  memo.set(key, value);
}

export function cacheSize() {
  return memo.size;
}

export function clearCache() {
  memo.clear();
}
