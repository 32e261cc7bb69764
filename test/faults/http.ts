/** Small HTTP helpers for the fault tests: JSON requests with a timeout, polling with a deadline. */

export interface Answer {
  status: number;
  body: unknown;
}

/** A request with a JSON body (if any); the answer parsed as JSON when it looks like JSON. Network errors reject. */
export async function request(url: string, method = 'GET', body?: unknown, timeoutMs = 5_000): Promise<Answer> {
  const res = await fetch(url, {
    method,
    signal: AbortSignal.timeout(timeoutMs),
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  if (/^\s*[[{]/.test(text)) {
    try {
      parsed = JSON.parse(text);
    } catch {
      /* keep the text */
    }
  }
  return { status: res.status, body: parsed };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns true; throws with `what` and the last detail after `timeoutMs`. */
export async function waitUntil(what: string, probe: () => Promise<boolean | string>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: unknown = '';
  for (;;) {
    try {
      const ok = await probe();
      if (ok === true) return;
      last = ok;
    } catch (err: unknown) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await sleep(100);
  }
}

export interface Item {
  id: number;
  name: string;
  qty: number;
}

export const items = async (base: string): Promise<Item[]> => (await request(`${base}/items`)).body as Item[];
export const hits = async (base: string): Promise<number> => ((await request(`${base}/hits`)).body as { hits: number }).hits;
