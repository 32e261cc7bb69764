/**
 * traffic.har: recorded exchanges in HAR 1.2 (the ecosystem's format for HTTP recordings).
 * `edgstr record` writes it; `services` and `analyze` read it through {@link readTraffic}.
 */
import type { Entry, Har } from 'har-format';
import { z } from 'zod';
import { readJsonArtefact } from './read-json.js';

export type { Entry as HarEntry, Har } from 'har-format';

const NameValue = z.looseObject({ name: z.string(), value: z.string() });

const HarEntrySchema = z.looseObject({
  startedDateTime: z.string(),
  time: z.number(),
  request: z.looseObject({
    method: z.string().min(1),
    url: z.string().min(1),
    httpVersion: z.string(),
    headers: z.array(NameValue),
    queryString: z.array(NameValue),
    cookies: z.array(z.unknown()),
    headersSize: z.number(),
    bodySize: z.number(),
    postData: z
      .looseObject({ mimeType: z.string(), text: z.string().optional(), params: z.array(z.unknown()).optional() })
      .optional(),
  }),
  response: z.looseObject({
    status: z.number().int(),
    statusText: z.string(),
    httpVersion: z.string(),
    headers: z.array(NameValue),
    cookies: z.array(z.unknown()),
    content: z.looseObject({ size: z.number(), mimeType: z.string(), text: z.string().optional(), encoding: z.string().optional() }),
    redirectURL: z.string(),
    headersSize: z.number(),
    bodySize: z.number(),
  }),
  cache: z.looseObject({}),
  timings: z.looseObject({ send: z.number(), wait: z.number(), receive: z.number() }),
});

const HarSchema = z.looseObject({
  log: z.looseObject({
    version: z.string(),
    creator: z.looseObject({ name: z.string(), version: z.string() }),
    entries: z.array(HarEntrySchema),
  }),
});

/** Reads and validates a HAR file; a bad one is a one-line UserError naming the file and field. */
export function readTraffic(file: string): Har {
  // The zod schema checks the fields edgstr relies on; the rest of HAR 1.2 passes through as typed.
  return readJsonArtefact(file, HarSchema, 'HAR file', 'record it again with `edgstr record`') as unknown as Har;
}

/** A recorded exchange that failed (no response from the target) is marked with status 0. */
export function isFailedEntry(entry: Entry): boolean {
  return entry.response.status === 0 || (entry as Entry & { _edgstrError?: string })._edgstrError !== undefined;
}

/**
 * Headers a replay never sends as recorded: the ones that describe one hop (RFC 9110 §7.6.1),
 * the ones the client computes itself for the body it sends (the recorded body is stored decoded,
 * so its Content-Encoding no longer applies), and conditional ones (a replay must get the full
 * answer to compare it, not a 304).
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length']);
const NOT_REPLAYED = new Set([...HOP_BY_HOP_HEADERS, 'accept-encoding', 'content-encoding', 'expect', 'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range']);

/** A recorded request, ready to send again. */
export interface ReplayRequest {
  method: string;
  /** Path + query, as recorded ("/donuts/7?x=1"). */
  path: string;
  /** Lower-case names; repeated headers joined with ", " (Cookie with "; "). */
  headers: Record<string, string>;
  /** The request body's media type (postData's, else the Content-Type header's), or ''. */
  mimeType: string;
  /** Decoded body bytes; undefined for no body and for GET/HEAD. */
  body: Buffer | undefined;
}

/** Bytes of a HAR text field: base64 when `encoding` (or a browser's `_encoding`) says so. */
function textBytes(text: string, field: { encoding?: string; _encoding?: string }): Buffer {
  return Buffer.from(text, (field.encoding ?? field._encoding) === 'base64' ? 'base64' : 'utf8');
}

/**
 * The one way a recorded HAR entry becomes a request again (analyze, verify and bench all use it).
 * Headers that must not be replayed are dropped; redacted values stay as their tokens (see
 * model/credentials.ts, which maps them to the replay's fresh ones).
 */
export function requestOf(entry: Entry): ReplayRequest {
  const u = new URL(entry.request.url, 'http://recorded.invalid');
  const method = entry.request.method.toUpperCase();
  const headers: Record<string, string> = {};
  for (const h of entry.request.headers) {
    const name = h.name.toLowerCase();
    // '[redacted]' (recordings before correlation-keeping redaction) carries no credential at all.
    if (NOT_REPLAYED.has(name) || name.startsWith(':') || h.value === '[redacted]') continue;
    const before = headers[name];
    headers[name] = before === undefined ? h.value : `${before}${name === 'cookie' ? '; ' : ', '}${h.value}`;
  }
  const pd = entry.request.postData as { mimeType?: string; text?: string; encoding?: string; _encoding?: string } | undefined;
  const body = pd?.text !== undefined && pd.text !== '' && method !== 'GET' && method !== 'HEAD' ? textBytes(pd.text, pd) : undefined;
  return { method, path: u.pathname + u.search, headers, mimeType: pd?.mimeType ?? headers['content-type'] ?? '', body };
}

/** The recorded response body's bytes (decoded), or undefined when none was recorded. */
export function responseBytesOf(entry: Entry): Buffer | undefined {
  const c = entry.response.content as { text?: string; encoding?: string; _encoding?: string };
  return c.text === undefined ? undefined : textBytes(c.text, c);
}
