/**
 * What replicas send each other over a sync connection. Every message received is validated
 * here before anything else looks at it: a malformed or oversized message is refused, it never
 * reaches Automerge or crashes the hub.
 */
import type { TablePage, WireRow } from '../table-store.js';

/** The hub's greeting after it flushed its own state: the heads of each document it holds. */
export interface HelloMessage {
  type: 'hello';
  heads: Record<string, string[]>;
  /** The epoch of each document (absent: 0). */
  epochs?: Record<string, number>;
}

/** One Automerge sync-protocol message for one document, within one epoch of it. */
export interface SyncMessage {
  type: 'sync';
  docId: string;
  /** The document's epoch the message belongs to (absent on the wire: 0). */
  epoch: number;
  data: Uint8Array;
}

/**
 * The cloud's offer to move a document to a new epoch (compaction.ts): the new epoch's
 * document, and the heads of the older epoch that its state includes. The receiver re-applies
 * on top of it what it changed after `base`.
 */
export interface EpochMessage {
  type: 'epoch';
  docId: string;
  epoch: number;
  base: string[];
  data: Uint8Array;
}

/**
 * A fresh edge (no documents yet, waiting for the cloud's copy) asks for the current epoch of
 * a document instead of syncing the older one it starts with: it has nothing to carry over.
 */
export interface FreshMessage {
  type: 'fresh';
  docId: string;
}

/**
 * Key ranges (key-ranges.ts). An edge sends it on connecting, as its claim (the slot it
 * believes it has, null when it has none); the hub answers with the slot it grants, always a
 * number. The edge allocates generated keys only in a granted slot.
 */
export interface RangeMessage {
  type: 'range';
  rangeIndex: number | null;
}

/** The hub refuses this connection (e.g. its node id is already live); it closes it next. */
export interface RefusedMessage {
  type: 'refused';
  reason: string;
}

/**
 * Tables (table-store.ts, table-sync.ts): "send me your changes of database `db` after your
 * version `after`". Each side sends it on connecting, with the position it persisted.
 */
export interface TablePullMessage {
  type: 'tpull';
  db: string;
  after: number;
}

/**
 * A page of the sender's table changes after version `from` up to `to`; `cols` names the
 * columns of the rows' values per table (sent once per table and connection).
 */
export interface TablePageMessage extends Omit<TablePage, 'cols'> {
  type: 'tpage';
  db: string;
  cols?: Record<string, string[]>;
}

/**
 * Table acknowledgement: `v` answers a page (the sender now holds the receiver's changes up
 * to v); `upTo` tells the receiver it holds the sender's changes up to there (what came after
 * its last page was its own changes coming back, which are not sent).
 */
export interface TableAckMessage {
  type: 'tack';
  db: string;
  v?: number;
  upTo?: number;
}

export type TableWireMessage = TablePullMessage | TablePageMessage | TableAckMessage;

export type WireMessage =
  | HelloMessage | SyncMessage | EpochMessage | FreshMessage | RangeMessage | RefusedMessage | TableWireMessage;

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
      const epoch = msg.epoch ?? 0;
      if (!isEpoch(epoch)) return 'bad epoch';
      return { type: 'sync', docId: msg.docId, epoch, data };
    }
    case 'epoch': {
      if (typeof msg.docId !== 'string' || !DOC_ID.test(msg.docId)) return 'bad docId';
      if (!isEpoch(msg.epoch) || msg.epoch < 1) return 'bad epoch';
      const data = toBytes(msg.data);
      if (!data) return 'data is not binary';
      if (data.length === 0 || data.length > maxBytes) return `data size ${data.length} out of bounds`;
      const base = msg.base;
      if (!Array.isArray(base) || base.length > 1000) return 'bad base';
      if (!base.every((h): h is string => typeof h === 'string' && HEAD.test(h))) return 'bad base hash';
      return { type: 'epoch', docId: msg.docId, epoch: msg.epoch, base, data };
    }
    case 'fresh': {
      if (typeof msg.docId !== 'string' || !DOC_ID.test(msg.docId)) return 'bad docId';
      return { type: 'fresh', docId: msg.docId };
    }
    case 'range': {
      const r = msg.rangeIndex;
      if (r !== null && !(typeof r === 'number' && Number.isInteger(r) && r >= 1 && r < 64)) return 'bad rangeIndex';
      return { type: 'range', rangeIndex: r };
    }
    case 'refused': {
      if (typeof msg.reason !== 'string' || msg.reason.length > 500) return 'bad reason';
      return { type: 'refused', reason: msg.reason };
    }
    case 'hello': {
      if (msg.heads === null || typeof msg.heads !== 'object') return 'bad heads';
      const heads: Record<string, string[]> = {};
      for (const [docId, list] of Object.entries(msg.heads as Record<string, unknown>)) {
        if (!DOC_ID.test(docId) || !Array.isArray(list) || list.length > 1000) return 'bad heads';
        if (!list.every((h): h is string => typeof h === 'string' && HEAD.test(h))) return 'bad head hash';
        heads[docId] = list;
      }
      let epochs: Record<string, number> | undefined;
      if (msg.epochs !== undefined) {
        if (msg.epochs === null || typeof msg.epochs !== 'object') return 'bad epochs';
        epochs = {};
        for (const [docId, e] of Object.entries(msg.epochs as Record<string, unknown>)) {
          if (!DOC_ID.test(docId) || !isEpoch(e)) return 'bad epochs';
          epochs[docId] = e;
        }
      }
      return { type: 'hello', heads, ...(epochs ? { epochs } : {}) };
    }
    case 'tpull': {
      if (typeof msg.db !== 'string' || !DOC_ID.test(msg.db)) return 'bad db';
      if (!isEpoch(msg.after)) return 'bad after';
      return { type: 'tpull', db: msg.db, after: msg.after };
    }
    case 'tack': {
      if (typeof msg.db !== 'string' || !DOC_ID.test(msg.db)) return 'bad db';
      if (msg.v !== undefined && !isEpoch(msg.v)) return 'bad v';
      if (msg.upTo !== undefined && !isEpoch(msg.upTo)) return 'bad upTo';
      return { type: 'tack', db: msg.db, ...(msg.v !== undefined ? { v: msg.v } : {}), ...(msg.upTo !== undefined ? { upTo: msg.upTo } : {}) };
    }
    case 'tpage':
      return parseTablePage(msg, maxBytes);
    default:
      return `unknown type ${JSON.stringify(msg.type)?.slice(0, 40)}`;
  }
}

const MAX_PAGE_ROWS = 10_000;
const NAME = 200;

function parseTablePage(msg: Record<string, unknown>, maxBytes: number): TablePageMessage | string {
  if (typeof msg.db !== 'string' || !DOC_ID.test(msg.db)) return 'bad db';
  const { from, to, head, more } = msg;
  if (!isEpoch(from) || !isEpoch(to) || !isEpoch(head) || to < from) return 'bad page bounds';
  if (typeof more !== 'boolean') return 'bad more';
  let cols: Record<string, string[]> | undefined;
  if (msg.cols !== undefined) {
    if (msg.cols === null || typeof msg.cols !== 'object' || Array.isArray(msg.cols)) return 'bad cols';
    cols = {};
    for (const [tbl, list] of Object.entries(msg.cols as Record<string, unknown>)) {
      if (tbl.length > NAME || !Array.isArray(list) || list.length > 2000) return 'bad cols';
      if (!list.every((c): c is string => typeof c === 'string' && c.length <= NAME)) return 'bad column name';
      cols[tbl] = list;
    }
  }
  if (!Array.isArray(msg.rows) || msg.rows.length > MAX_PAGE_ROWS) return 'bad rows';
  let bytes = 0;
  for (const row of msg.rows as unknown[]) {
    const problem = checkRow(row);
    if (problem) return problem;
    bytes += JSON.stringify(row).length;
    if (bytes > maxBytes) return `page larger than ${maxBytes} bytes`;
  }
  return { type: 'tpage', db: msg.db, from, to, head, more, rows: msg.rows as WireRow[], ...(cols ? { cols } : {}) };
}

/** A WireRow: [tbl, pk, cl, values | null, ver, site, column versions | null]. */
function checkRow(row: unknown): string | null {
  if (!Array.isArray(row) || row.length !== 7) return 'bad row';
  const [tbl, pk, cl, values, ver, site, cv] = row as unknown[];
  if (typeof tbl !== 'string' || tbl.length > NAME) return 'bad row table';
  if (typeof pk !== 'string' || pk.length > 10_000 || !isJsonArray(pk)) return 'bad row key';
  if (!isEpoch(cl) || cl < 1) return 'bad causal length';
  if (!isEpoch(ver) || typeof site !== 'string' || site.length > NAME) return 'bad row version';
  if (values !== null && (!Array.isArray(values) || !values.every(isWireValue))) return 'bad row values';
  if (cv !== null) {
    if (typeof cv !== 'object' || Array.isArray(cv)) return 'bad column versions';
    for (const v of Object.values(cv as Record<string, unknown>)) {
      if (!Array.isArray(v) || v.length !== 2 || !isEpoch(v[0]) || typeof v[1] !== 'string' || v[1].length > NAME) return 'bad column version';
    }
  }
  return null;
}

function isJsonArray(text: string): boolean {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) && v.every(isWireValue);
  } catch {
    return false;
  }
}

function isWireValue(v: unknown): boolean {
  if (v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) return true;
  if (typeof v !== 'object' || Array.isArray(v)) return false;
  const b = (v as Record<string, unknown>).$b;
  return Object.keys(v).length === 1 && typeof b === 'string' && /^[0-9a-f]*$/i.test(b);
}

function isEpoch(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
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
