/**
 * Recorded exchanges as replayable requests, and their primitive parameters (path params,
 * query values, JSON body fields, form fields, a text body) — what fuzzing mutates and what
 * entry detection looks for.
 */
import type { HarEntry } from '../../model/traffic.js';
import { isFailedEntry, requestOf, responseBytesOf } from '../../model/traffic.js';
import type { OutRequest } from './http-client.js';

export interface Recorded {
  index: number;
  method: string;
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  mimeType: string;
  body: Buffer | undefined;
  status: number;
  /** Response body bytes as recorded (decoded), when present. */
  response: Buffer | undefined;
  /** The recorded answer's Set-Cookie values (redacted ones hold tokens). */
  setCookies: string[];
}

/** A primitive parameter: where it sits and its value. */
export type ParamLoc =
  | { kind: 'path'; index: number; name: string }
  | { kind: 'query'; index: number; name: string }
  | { kind: 'json'; key: string }
  | { kind: 'form'; key: string }
  | { kind: 'text' };

export interface Param {
  loc: ParamLoc;
  name: string;
  value: string | number | boolean;
}

export function toRecorded(entry: HarEntry, index: number): Recorded | null {
  if (isFailedEntry(entry)) return null;
  const req = requestOf(entry);
  const q = req.path.indexOf('?');
  return {
    index,
    method: req.method,
    path: q < 0 ? req.path : req.path.slice(0, q),
    query: q < 0 ? [] : [...new URLSearchParams(req.path.slice(q + 1))],
    headers: req.headers,
    mimeType: req.mimeType,
    body: req.body,
    status: entry.response.status,
    response: responseBytesOf(entry),
    setCookies: entry.response.headers.filter((h) => h.name.toLowerCase() === 'set-cookie').map((h) => h.value),
  };
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 400;
}

export function toOutRequest(r: Recorded, execId: string, header: string): OutRequest {
  const qs = new URLSearchParams(r.query).toString();
  return { method: r.method, path: `${r.path}${qs ? `?${qs}` : ''}`, headers: { ...r.headers, [header]: execId }, body: r.body };
}

/** The primitive parameters of a request, given its route template. */
export function paramsOf(r: Recorded, route: string): Param[] {
  const out: Param[] = [];
  const tpl = route.split('/');
  const segs = r.path.split('/');
  tpl.forEach((t, i) => {
    if (t.startsWith(':') && segs[i] !== undefined) out.push({ loc: { kind: 'path', index: i, name: t.slice(1) }, name: t.slice(1), value: decodeURIComponent(segs[i]!) });
  });
  r.query.forEach(([name, value], index) => out.push({ loc: { kind: 'query', index, name }, name, value }));
  if (r.body) {
    const text = r.body.toString('utf8');
    if (/json/i.test(r.mimeType)) {
      try {
        const v = JSON.parse(text) as unknown;
        if (v && typeof v === 'object' && !Array.isArray(v)) {
          for (const [key, x] of Object.entries(v as Record<string, unknown>)) {
            if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out.push({ loc: { kind: 'json', key }, name: key, value: x });
          }
        } else if (typeof v === 'string' || typeof v === 'number') out.push({ loc: { kind: 'text' }, name: 'body', value: v });
      } catch {
        // not JSON after all: no parameters from the body
      }
    } else if (/x-www-form-urlencoded/i.test(r.mimeType)) {
      for (const [key, value] of new URLSearchParams(text)) out.push({ loc: { kind: 'form', key }, name: key, value });
    } else if (/^text\//i.test(r.mimeType) && text.length > 0) {
      out.push({ loc: { kind: 'text' }, name: 'body', value: text });
    }
  }
  return out;
}

/** A copy of the request with some parameters replaced. */
export function withParams(r: Recorded, changes: { loc: ParamLoc; value: string | number | boolean }[]): Recorded {
  const segs = r.path.split('/');
  const query = r.query.map(([n, v]) => [n, v] as [string, string]);
  let json: Record<string, unknown> | null = null;
  let form: URLSearchParams | null = null;
  let text: string | null = null;
  for (const c of changes) {
    switch (c.loc.kind) {
      case 'path':
        segs[c.loc.index] = encodeURIComponent(String(c.value));
        break;
      case 'query':
        query[c.loc.index] = [c.loc.name, String(c.value)];
        break;
      case 'json':
        json ??= JSON.parse(r.body!.toString('utf8')) as Record<string, unknown>;
        json[c.loc.key] = c.value;
        break;
      case 'form':
        form ??= new URLSearchParams(r.body!.toString('utf8'));
        form.set(c.loc.key, String(c.value));
        break;
      case 'text':
        text = typeof c.value === 'string' ? c.value : JSON.stringify(c.value);
        if (/json/i.test(r.mimeType)) text = JSON.stringify(c.value);
        break;
      default:
        throw new Error('unknown parameter kind');
    }
  }
  let body = r.body;
  if (json) body = Buffer.from(JSON.stringify(json));
  else if (form) body = Buffer.from(form.toString());
  else if (text !== null) body = Buffer.from(text);
  return { ...r, path: segs.join('/'), query, body };
}
