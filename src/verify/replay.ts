/**
 * Replaying recorded HAR exchanges against a server: turns an entry back into a request (method,
 * path + query, headers that matter, body), sends it, and returns status + parsed body.
 */
import { requestOf, responseBytesOf, type HarEntry, type ReplayRequest } from '../model/traffic.js';
import type { SessionMap } from '../model/credentials.js';
import type { EchoMap } from '../model/echoed.js';
import { parseBody } from './compare.js';
import type { IdMap } from './id-map.js';

export interface ReplayedResponse {
  status: number;
  mimeType: string;
  body: unknown;
  /** Raw body size in bytes. */
  size: number;
  ms: number;
  /** Where a generated edge served it (`x-edgstr-served`), when the answer says. */
  served?: string;
  /** Recorded credentials no replayed answer had issued: the request went without them. */
  unresolved: string[];
}

/** The recorded request's path + query, as sent ("/donuts/7?x=1"). */
export function entryPath(entry: HarEntry): string {
  return requestOf(entry).path;
}

/** The recorded response, parsed like a replayed one. */
export function recordedResponse(entry: HarEntry): { status: number; body: unknown } {
  const c = entry.response.content;
  const text = c.text === undefined ? '' : c.encoding === 'base64' ? responseBytesOf(entry)!.toString('latin1') : c.text;
  return { status: entry.response.status, body: parseBody(text, c.mimeType ?? '') };
}

/** The request's body with learned ids rewritten in a JSON body. */
function requestBody(req: ReplayRequest, ids: IdMap | undefined): Buffer | undefined {
  if (!req.body || !ids || !/json/i.test(req.mimeType)) return req.body;
  try {
    return Buffer.from(JSON.stringify(ids.rewriteJson(JSON.parse(req.body.toString('utf8')), req.path)));
  } catch {
    return req.body; // not JSON after all: send as recorded
  }
}

/** Issued tokens (a form's anti-forgery token) to carry through a replay: model/echoed.ts. */
export interface EchoReplay {
  map: EchoMap;
  /** The values the recording's requests send back (sentInRecording). */
  wanted: readonly string[];
}

/**
 * Sends one recorded request to `baseUrl`, rewriting learned ids when `ids` is given, recorded
 * credentials when `sessions` is given and issued tokens when `echo` is given (and learning the
 * fresh ones this answer issues).
 */
export async function replayEntry(baseUrl: string, entry: HarEntry, ids?: IdMap, timeoutMs = 60_000, sessions?: SessionMap, echo?: EchoReplay): Promise<ReplayedResponse> {
  const req = echo ? echo.map.rewritePathRequest(requestOf(entry)) : requestOf(entry);
  const path = ids ? ids.rewritePath(req.path) : req.path;
  const body = requestBody(req, ids);
  const { headers, unresolved } = sessions ? sessions.apply(req.headers) : { headers: req.headers, unresolved: [] };
  const t0 = performance.now();
  const res = await fetch(new URL(path, baseUrl), {
    method: req.method,
    headers,
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  const buf = Buffer.from(await res.arrayBuffer());
  const mimeType = res.headers.get('content-type') ?? '';
  const text = /^(text\/|application\/(json|javascript|xml))|[+]json/i.test(mimeType) || mimeType === '' ? buf.toString('utf8') : buf.toString('latin1');
  const parsed = parseBody(text, mimeType);
  sessions?.learn({ setCookies: recordedSetCookies(entry), body: recordedResponse(entry).body }, { setCookies: res.headers.getSetCookie(), body: parsed });
  echo?.map.learnAnswer(responseBytesOf(entry), buf, echo.wanted);
  const served = res.headers.get('x-edgstr-served');
  return { status: res.status, mimeType, body: parsed, size: buf.length, ms: performance.now() - t0, unresolved, ...(served ? { served } : {}) };
}

function recordedSetCookies(entry: HarEntry): string[] {
  return entry.response.headers.filter((h) => h.name.toLowerCase() === 'set-cookie').map((h) => h.value);
}
