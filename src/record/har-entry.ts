/**
 * Builds one HAR 1.2 entry from an observed exchange. Shared by the live proxy and the pcap
 * reader, so both produce the same shape: full headers, queryString, postData, content (decoded
 * from Content-Encoding; text when it is text, base64 otherwise), timings and `_edgstr*` fields.
 */
import { isUtf8 } from 'node:buffer';
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import type { Cookie, Entry, Header, PostData, QueryString } from 'har-format';
import { Redactor } from '../model/credentials.js';

/** What the recorder knows about one exchange, before it becomes a HAR entry. */
export interface Exchange {
  /** Sequence number of the exchange in this recording (1-based). */
  seq: number;
  startedAt: Date;
  method: string;
  /** Absolute URL as the server saw it (origin + path + query). */
  url: string;
  httpVersion: string;
  /** Raw header pairs [name, value, name, value, ...] as on the wire (Node's rawHeaders). */
  requestHeaders: string[];
  requestBody: CapturedBody;
  /** 0 when no response came back (target down, connection reset). */
  status: number;
  statusText: string;
  responseHeaders: string[];
  responseBody: CapturedBody;
  timings: { send: number; wait: number; receive: number };
  serverIPAddress?: string;
  connection?: string;
  /** Why the exchange failed; set when status is 0. */
  error?: string;
}

/** A body as captured: the bytes kept (possibly cut at the capture limit) and the real size. */
export interface CapturedBody {
  bytes: Buffer;
  /** Total bytes that went over the wire (may exceed bytes.length when truncated). */
  size: number;
  truncated: boolean;
}

export interface RedactOptions {
  /** Lower-case header names whose values become stable tokens. Empty = no redaction. */
  headers: ReadonlySet<string>;
  /** One per recording: equal secrets get equal tokens (see model/credentials.ts). */
  redactor: Redactor;
}

export const DEFAULT_REDACTED_HEADERS = ['authorization', 'cookie', 'set-cookie'];

/**
 * The redaction for the CLI flags: defaults + extra names, or nothing with --no-redact. `key`
 * fixes the HMAC key (tests); by default it is random and never leaves this process.
 */
export function redactionFor(enabled: boolean, extra: readonly string[] = [], key?: Buffer): RedactOptions {
  const redactor = new Redactor(key);
  if (!enabled) return { headers: new Set(), redactor };
  return { headers: new Set([...DEFAULT_REDACTED_HEADERS, ...extra.map((n) => n.toLowerCase())]), redactor };
}

/** The HAR entry type edgstr writes: HAR 1.2 plus its own underscore fields (allowed by the spec). */
export type EdgstrEntry = Entry & {
  _edgstrSeq: number;
  _edgstrError?: string;
  _edgstrRequestTruncated?: boolean;
  _edgstrResponseTruncated?: boolean;
};

export function buildEntry(x: Exchange, redact: RedactOptions): EdgstrEntry {
  // One pass over each header list collects everything the entry needs from it.
  const req = scanHeaders(x.requestHeaders, redact);
  const res = scanHeaders(x.responseHeaders, redact);
  const resType = res.contentType ?? '';
  const httpVersion = `HTTP/${x.httpVersion}`;
  const failed = x.status === 0;
  const entry: EdgstrEntry = {
    startedDateTime: x.startedAt.toISOString(),
    time: round(x.timings.send + x.timings.wait + x.timings.receive),
    request: {
      method: x.method,
      url: x.url,
      httpVersion,
      cookies: parseCookieHeader(req.cookie, redact),
      headers: req.headers,
      queryString: queryStringOf(x.url),
      headersSize: req.size,
      bodySize: x.requestBody.size,
    },
    response: {
      status: x.status,
      statusText: x.statusText,
      httpVersion: failed ? '' : httpVersion,
      cookies: parseSetCookies(res.setCookies, redact),
      headers: res.headers,
      content: { size: 0, mimeType: resType || 'x-unknown' },
      redirectURL: res.location ?? '',
      headersSize: failed ? -1 : res.size,
      bodySize: failed ? -1 : x.responseBody.size,
    },
    cache: {},
    timings: { blocked: -1, dns: -1, connect: -1, send: round(x.timings.send), wait: round(x.timings.wait), receive: round(x.timings.receive), ssl: -1 },
    _edgstrSeq: x.seq,
  };
  if (x.serverIPAddress) entry.serverIPAddress = x.serverIPAddress;
  if (x.connection) entry.connection = x.connection;
  if (x.error !== undefined) entry._edgstrError = x.error;
  if (x.requestBody.size > 0 || x.requestBody.bytes.length > 0) {
    entry.request.postData = postDataOf(x.requestBody, req.contentType ?? '', req.contentEncoding);
  }
  if (x.requestBody.truncated) entry._edgstrRequestTruncated = true;
  const content = decodeBody(x.responseBody.bytes, resType, res.contentEncoding);
  const c: Entry['response']['content'] = { size: content.size, mimeType: resType || 'x-unknown' };
  // A login's JSON answer issues the token later requests send: redact it the same way.
  const secretsOut = redact.headers.size > 0 && content.text !== undefined && /json/i.test(resType) ? redact.redactor.jsonSecrets(content.text) : undefined;
  if (content.text !== undefined) c.text = secretsOut ?? content.text;
  if (content.encoding) c.encoding = content.encoding;
  if (content.decodedFrom && !x.responseBody.truncated) c.compression = x.responseBody.bytes.length - content.size;
  entry.response.content = c;
  if (x.responseBody.truncated) entry._edgstrResponseTruncated = true;
  return entry;
}

function round(ms: number): number {
  return Math.max(0, Math.round(ms * 1000) / 1000);
}

/** What buildEntry takes from one raw header list. */
interface HeaderScan {
  headers: Header[];
  /** headersSize as HAR counts it: name + ": " + value + CRLF per header, plus the blank line. */
  size: number;
  /** First value of each (any case), as headerValue would return it. */
  contentType: string | undefined;
  contentEncoding: string | undefined;
  cookie: string | undefined;
  location: string | undefined;
  /** Every Set-Cookie value, in order. */
  setCookies: string[] | undefined;
}

function scanHeaders(raw: string[], redact: RedactOptions): HeaderScan {
  const scan: HeaderScan = { headers: [], size: 2, contentType: undefined, contentEncoding: undefined, cookie: undefined, location: undefined, setCookies: undefined };
  const hide = redact.headers.size > 0;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    scan.size += name.length + value.length + 4;
    const lower = name.toLowerCase();
    scan.headers.push({ name, value: hide && redact.headers.has(lower) ? redact.redactor.header(lower, value) : value });
    switch (lower) {
      case 'content-type':
        scan.contentType ??= value;
        break;
      case 'content-encoding':
        scan.contentEncoding ??= value;
        break;
      case 'cookie':
        scan.cookie ??= value;
        break;
      case 'location':
        scan.location ??= value;
        break;
      case 'set-cookie':
        (scan.setCookies ??= []).push(value);
        break;
    }
  }
  return scan;
}

/** The query parameters as the WHATWG URL parser splits and decodes them. */
function queryStringOf(url: string): QueryString[] {
  const out: QueryString[] = [];
  // Without a "?" there is no query: skip parsing the URL.
  if (!url.includes('?')) return out;
  for (const [name, value] of new URL(url).searchParams) out.push({ name, value });
  return out;
}

/** First value of a header in raw pairs, case-insensitively. */
export function headerValue(raw: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) return raw[i + 1];
  return undefined;
}

function parseCookieHeader(value: string | undefined, redact: RedactOptions): Cookie[] {
  if (!value) return [];
  const hide = redact.headers.has('cookie');
  return value
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? '' : part.slice(eq + 1);
      return { name, value: hide ? redact.redactor.token(value.trim()) : value };
    });
}

function parseSetCookies(values: string[] | undefined, redact: RedactOptions): Cookie[] {
  const out: Cookie[] = [];
  if (!values) return out;
  const hide = redact.headers.has('set-cookie');
  for (const v of values) {
    const first = v.split(';')[0]!;
    const eq = first.indexOf('=');
    const value = eq < 0 ? '' : first.slice(eq + 1);
    out.push({ name: eq < 0 ? first.trim() : first.slice(0, eq).trim(), value: hide ? redact.redactor.token(value.trim()) : value });
  }
  return out;
}

function postDataOf(body: CapturedBody, mimeType: string, contentEncoding: string | undefined): PostData {
  const decoded = decodeBody(body.bytes, mimeType, contentEncoding);
  const post: { mimeType: string; text: string; encoding?: string; params?: { name: string; value: string }[] } = {
    mimeType: mimeType || 'application/octet-stream',
    text: decoded.text ?? '',
  };
  if (decoded.encoding) post.encoding = decoded.encoding;
  // Browsers' HARs carry both text and params for forms; text stays the source of truth.
  if (!decoded.encoding && /application\/x-www-form-urlencoded/i.test(mimeType)) {
    post.params = [...new URLSearchParams(decoded.text ?? '')].map(([name, value]) => ({ name, value }));
  }
  return post as PostData;
}

interface DecodedContent {
  size: number;
  text?: string | undefined;
  encoding?: 'base64' | undefined;
  decodedFrom?: string | undefined;
}

/** Undoes Content-Encoding (gzip, br, deflate), then picks text or base64. */
export function decodeBody(bytes: Buffer, mimeType: string, contentEncoding: string | undefined): DecodedContent {
  let data = bytes;
  let decodedFrom: string | undefined;
  const coding = contentEncoding?.trim().toLowerCase();
  if (coding && coding !== 'identity' && bytes.length > 0) {
    const inflated = tryDecompress(bytes, coding);
    if (inflated) {
      data = inflated;
      decodedFrom = coding;
    }
  }
  // One object shape for every outcome (no spreads): this runs for every exchange.
  if (data.length === 0) return { size: 0, text: '', encoding: undefined, decodedFrom };
  const text = isTextType(mimeType) || mimeType === '' ? asUtf8(data) : undefined;
  if (text !== undefined) return { size: data.length, text, encoding: undefined, decodedFrom };
  return { size: data.length, text: data.toString('base64'), encoding: 'base64', decodedFrom };
}

function tryDecompress(bytes: Buffer, coding: string): Buffer | undefined {
  try {
    if (coding === 'gzip' || coding === 'x-gzip') return gunzipSync(bytes);
    if (coding === 'br') return brotliDecompressSync(bytes);
    if (coding === 'deflate') {
      // Servers send both zlib-wrapped and raw deflate under this name.
      try {
        return inflateSync(bytes);
      } catch {
        return inflateRawSync(bytes);
      }
    }
  } catch {
    // A truncated or mislabelled body: keep the raw bytes rather than lose the exchange.
  }
  return undefined;
}

const TEXT_TYPE = /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|ecmascript|x-www-form-urlencoded|graphql|yaml|x-yaml|csv|x-ndjson|ld\+json|problem\+json)\b)|^image\/svg\+xml/i;

export function isTextType(mimeType: string): boolean {
  return TEXT_TYPE.test(mimeType.trim());
}

/** The bytes as a string when they are valid UTF-8 without NUL bytes; undefined otherwise. */
function asUtf8(data: Buffer): string | undefined {
  // buffer.isUtf8 validates in C++ without building a string; toString then takes the fast path.
  if (data.includes(0) || !isUtf8(data)) return undefined;
  return data.toString('utf8');
}
