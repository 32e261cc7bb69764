/**
 * Fingerprints of logged values: short values verbatim ("=text"), long ones by hash
 * ("#sha1"), never a copy of a large value. Strings and Buffers are taken as their text/bytes,
 * plain data as its JSON text (what `res.json` would send), so the analyzer can compare them
 * with request parameters and response bodies fingerprinted the same way.
 */
import { createHash } from 'node:crypto';

export const SHORT = 512;
const MAX_JSON = 8 * 1024 * 1024;

export function fingerprintText(text: string): string {
  return text.length <= SHORT ? `=${text}` : `#${createHash('sha1').update(text).digest('hex')}`;
}

export function fingerprintBytes(buf: Uint8Array): string {
  if (buf.byteLength <= SHORT) return `=${Buffer.from(buf).toString('utf8')}`;
  return `#${createHash('sha1').update(buf).digest('hex')}`;
}

function isPlainData(v: object): boolean {
  if (Array.isArray(v)) return true;
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

/** Fingerprint of a value, or null when it cannot stand for a parameter or a response. */
export function fingerprint(v: unknown): string | null {
  switch (typeof v) {
    case 'string':
      return fingerprintText(v);
    case 'number':
    case 'bigint':
    case 'boolean':
      return `=${String(v)}`;
    case 'object': {
      if (v === null) return null;
      if (v instanceof Uint8Array) return fingerprintBytes(v);
      if (!isPlainData(v)) return null;
      let text: string | undefined;
      try {
        if (roughlyTooBig(v)) return null;
        text = JSON.stringify(v);
      } catch {
        return null;
      }
      return text === undefined || text.length > MAX_JSON ? null : fingerprintText(text);
    }
    default:
      return null;
  }
}

function roughlyTooBig(v: object): boolean {
  return Array.isArray(v) && v.length > 200000;
}
