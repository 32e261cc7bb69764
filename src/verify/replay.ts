/**
 * Replaying recorded HAR exchanges against a server: turns an entry back into a request (method,
 * path + query, headers that matter, body), sends it, and returns status + parsed body.
 */
import type { HarEntry } from '../model/traffic.js';
import { parseBody, type IdMap } from './compare.js';

/** Headers that describe one hop, or that fetch computes itself: never replayed. */
const HOP_HEADERS = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer',
  'host', 'content-length', 'accept-encoding', 'expect',
]);

export interface ReplayedResponse {
  status: number;
  mimeType: string;
  body: unknown;
  /** Raw body size in bytes. */
  size: number;
  ms: number;
  /** Where a generated edge served it (`x-edgstr-served`), when the answer says. */
  served?: string;
}

/** The recorded request's path + query, as sent ("/donuts/7?x=1"). */
export function entryPath(entry: HarEntry): string {
  const u = new URL(entry.request.url, 'http://recorded.invalid');
  return u.pathname + u.search;
}

/** The recorded response, parsed like a replayed one. */
export function recordedResponse(entry: HarEntry): { status: number; body: unknown } {
  const c = entry.response.content;
  const text = c.text === undefined ? '' : c.encoding === 'base64' ? Buffer.from(c.text, 'base64').toString('latin1') : c.text;
  return { status: entry.response.status, body: parseBody(text, c.mimeType ?? '') };
}

function requestBody(entry: HarEntry, ids: IdMap | undefined): Buffer | undefined {
  const pd = entry.request.postData;
  if (!pd || pd.text === undefined) return undefined;
  const enc = (pd as { encoding?: string; _encoding?: string }).encoding ?? (pd as { _encoding?: string })._encoding;
  if (enc === 'base64') return Buffer.from(pd.text, 'base64');
  if (ids && /json/i.test(pd.mimeType)) {
    try {
      return Buffer.from(JSON.stringify(ids.rewriteJson(JSON.parse(pd.text), entryPath(entry))));
    } catch {
      /* not JSON after all: send as recorded */
    }
  }
  return Buffer.from(pd.text, 'utf8');
}

/** Sends one recorded request to `baseUrl`, rewriting learned ids when `ids` is given. */
export async function replayEntry(baseUrl: string, entry: HarEntry, ids?: IdMap, timeoutMs = 60_000): Promise<ReplayedResponse> {
  const path = ids ? ids.rewritePath(entryPath(entry)) : entryPath(entry);
  const headers = new Headers();
  for (const h of entry.request.headers) {
    const name = h.name.toLowerCase();
    if (HOP_HEADERS.has(name) || name.startsWith(':') || h.value === '[redacted]') continue;
    headers.append(h.name, h.value);
  }
  const body = requestBody(entry, ids);
  const t0 = performance.now();
  const res = await fetch(new URL(path, baseUrl), {
    method: entry.request.method,
    headers,
    body: body && entry.request.method !== 'GET' && entry.request.method !== 'HEAD' ? body : undefined,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  const buf = Buffer.from(await res.arrayBuffer());
  const mimeType = res.headers.get('content-type') ?? '';
  const text = /^(text\/|application\/(json|javascript|xml))|[+]json/i.test(mimeType) || mimeType === '' ? buf.toString('utf8') : buf.toString('latin1');
  const served = res.headers.get('x-edgstr-served');
  return { status: res.status, mimeType, body: parseBody(text, mimeType), size: buf.length, ms: performance.now() - t0, ...(served ? { served } : {}) };
}
