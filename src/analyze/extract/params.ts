/**
 * The unmarshaled parameters of a recorded request, in the shape the extracted functions take:
 * { path: route params, query: [name, value] pairs, body, headers that matter }.
 */
import type { Recorded } from '../replay/requests.js';

export interface ExtractedParams {
  path: Record<string, string>;
  query: [string, string][];
  body: string | undefined;
  headers: Record<string, string>;
}

const KEEP_HEADERS = /^(content-type|accept|authorization|cookie|x-[\w-]+)$/;

export function paramsFromRequest(route: string, r: Recorded): ExtractedParams {
  const path: Record<string, string> = {};
  const segs = r.path.split('/');
  route.split('/').forEach((t, i) => {
    if (t.startsWith(':') && segs[i] !== undefined) path[t.slice(1)] = decodeURIComponent(segs[i]!);
  });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) if (KEEP_HEADERS.test(k) && !k.startsWith('x-edgstr')) headers[k] = v;
  return { path, query: r.query, body: r.body?.toString('latin1'), headers };
}
