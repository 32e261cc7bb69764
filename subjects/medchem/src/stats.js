// How many results were actually computed (cache misses) since start-up. Other modules read
// the live binding; only recordComputation changes it.
export let computations = 0;

export function recordComputation() {
  computations += 1;
  return computations;
}
