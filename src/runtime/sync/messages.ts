/**
 * What replicas send each other over a sync connection. Every message received is validated
 * here before anything else looks at it: a malformed or oversized message is refused, it never
 * reaches Automerge or crashes the hub.
 */

/** The hub's greeting after it flushed its own state: the heads of each document it holds. */
export interface HelloMessage {
  type: 'hello';
  heads: Record<string, string[]>;
}

/** One Automerge sync-protocol message for one document. */
export interface SyncMessage {
  type: 'sync';
  docId: string;
  data: Uint8Array;
}

export type WireMessage = HelloMessage | SyncMessage;

export const DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

const HEAD = /^[0-9a-f]{64}$/;
const DOC_ID = /^[A-Za-z0-9:_.-]{1,200}$/;

/** The message, or a sentence saying why it is refused. */
export function parseWireMessage(raw: unknown, maxBytes: number): WireMessage | string {
  if (raw === null || typeof raw !== 'object') return 'not an object';
  const msg = raw as Record<string, unknown>;
  switch (msg.type) {
    case 'sync': {
      if (typeof msg.docId !== 'string' || !DOC_ID.test(msg.docId)) return 'bad docId';
      const data = toBytes(msg.data);
      if (!data) return 'data is not binary';
      if (data.length === 0 || data.length > maxBytes) return `data size ${data.length} out of bounds`;
      return { type: 'sync', docId: msg.docId, data };
    }
    case 'hello': {
      if (msg.heads === null || typeof msg.heads !== 'object') return 'bad heads';
      const heads: Record<string, string[]> = {};
      for (const [docId, list] of Object.entries(msg.heads as Record<string, unknown>)) {
        if (!DOC_ID.test(docId) || !Array.isArray(list) || list.length > 1000) return 'bad heads';
        if (!list.every((h): h is string => typeof h === 'string' && HEAD.test(h))) return 'bad head hash';
        heads[docId] = list;
      }
      return { type: 'hello', heads };
    }
    default:
      return `unknown type ${JSON.stringify(msg.type)?.slice(0, 40)}`;
  }
}

function toBytes(v: unknown): Uint8Array | null {
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  return null;
}

/**
 * Whether an Automerge sync message carries changes, read from its header (version byte,
 * heads, need, have, then the count of change chunks: the layout of automerge's
 * `sync::Message::encode`, v1 and v2). Most messages are acknowledgements without changes, and
 * those need no SQL transaction, capture or write-back. null when the bytes do not parse: the
 * caller then takes the general path, where Automerge itself validates the message.
 */
export function syncMessageHasChanges(data: Uint8Array): boolean | null {
  if (data[0] !== 0x42 && data[0] !== 0x43) return null;
  let at = 1;
  const uleb = (): number | null => {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (at >= data.length) return null;
      const byte = data[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    return null;
  };
  const skipHashes = (): boolean => {
    const n = uleb();
    if (n === null) return false;
    at += 32 * n;
    return at <= data.length;
  };
  if (!skipHashes() || !skipHashes()) return null;
  const haves = uleb();
  if (haves === null) return null;
  for (let i = 0; i < haves; i++) {
    if (!skipHashes()) return null;
    const bloom = uleb();
    if (bloom === null) return null;
    at += bloom;
    if (at > data.length) return null;
  }
  const changes = uleb();
  return changes === null ? null : changes > 0;
}
