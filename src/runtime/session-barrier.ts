/**
 * Session guarantees across the edge and the cloud (read-your-writes, writes-follow-reads,
 * monotonic reads for the clients of one edge): a client never loses its own write because the
 * next request was answered by the other side.
 *
 *   - Edge -> cloud. Before the edge forwards a request, it captures and sends what it wrote
 *     (a flush, only when a local request committed since the last one) and puts its Automerge
 *     heads in `x-edgstr-after`. The cloud holds the request, before the app sees it, until its
 *     documents include those heads (they travel in parallel on the sync connection, so usually
 *     they are there already); past `waitMs` it answers 503 with a JSON reason and Retry-After.
 *   - Cloud -> edge. The cloud captures what a request from an edge changed before the answer
 *     leaves and puts its heads in `x-edgstr-heads`. The edge remembers them (for every client
 *     of the edge) and serves a local request only once its documents include them; past
 *     `waitMs` it forwards that request to the cloud instead (slower, never stale).
 *
 * Heads travel as `docId@epoch=hash,hash;docId@epoch=...`; a replicated database's tables
 * (table-store.ts) as `docId@t:site=version`: the writer's db version, held by the receiver once
 * its position for that site reached it (or, for its own site, its head). Across a compaction (epochs), heads
 * of an older epoch than the receiver's are already in its base, except on the cloud for an
 * edge's writes it had not received before the switch (those come back under new hashes):
 * such a request waits until the timeout. Heads of a newer epoch wait until the receiver moves.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as A from '@automerge/automerge';
import { archiveHasAll } from './doc-store.js';
import type { EdgstrReplica } from './replica.js';
import { errorMessage } from './util.js';

/** Request header, edge -> cloud: the edge's heads the request may depend on. */
export const AFTER_HEADER = 'x-edgstr-after';
/** Response header, cloud -> edge: the cloud's heads once the request's changes were captured. */
export const HEADS_HEADER = 'x-edgstr-heads';

const POLL_MS = 5;
const MAX_HEADER_CHARS = 8_192;
/** Cloud heads an edge waits for at most (see noteCloudHeads). */
const MAX_REQUIRED = 256;

/** One document's heads as another replica saw them. */
export interface DocHeads {
  docId: string;
  epoch: number;
  heads: string[];
  /** Tables: the db version of `site` (heads is then empty). */
  table?: { site: string; version: number };
}

export interface SessionOptions {
  /** False: no barrier either way (`EDGSTR_SESSION=off`; tests show what then goes wrong). */
  enabled: boolean;
  /** How long a request waits for the heads it depends on, in ms. */
  waitMs: number;
}

/**
 * `EDGSTR_SESSION=off` switches the guarantees off; `EDGSTR_SESSION_WAIT_MS` bounds the wait
 * (default: 2000 at the edge, then the read is forwarded; 5000 at the cloud, then 503).
 */
export function sessionOptionsFromEnv(env: NodeJS.ProcessEnv, role: 'cloud' | 'edge'): SessionOptions {
  const wait = Number(env.EDGSTR_SESSION_WAIT_MS);
  return {
    enabled: env.EDGSTR_SESSION !== 'off',
    waitMs: Number.isFinite(wait) && wait >= 0 ? wait : role === 'edge' ? 2_000 : 5_000,
  };
}

/** This replica's heads, as a header value. */
export function encodeHeads(replica: EdgstrReplica): string {
  const site = replica.config.nodeId;
  return [
    ...[...replica.tableSync.stores].map(([docId, t]) => `${docId}@t:${site}=${t.head()}`),
    ...[...replica.adapters].map(([docId, a]) => `${docId}@${a.store.epoch}=${A.getHeads(a.store.doc).join(',')}`),
  ].join(';');
}

/** Parses a header value; null when it is not one (then nobody waits for it). */
export function parseHeads(value: string): DocHeads[] | null {
  if (value.length > MAX_HEADER_CHARS) return null;
  if (value === '') return [];
  const out: DocHeads[] = [];
  for (const part of value.split(';')) {
    const t = /^([A-Za-z0-9_.-]+)@t:([A-Za-z0-9_.:@-]{1,128})=([0-9]{1,15})$/.exec(part);
    if (t) {
      out.push({ docId: t[1]!, epoch: 0, heads: [], table: { site: t[2]!, version: Number(t[3]) } });
      continue;
    }
    const m = /^([A-Za-z0-9_.-]+)@([0-9]{1,9})=((?:[0-9a-f]{64})(?:,[0-9a-f]{64})*)?$/.exec(part);
    if (!m) return null;
    out.push({ docId: m[1]!, epoch: Number(m[2]), heads: m[3] ? m[3].split(',') : [] });
  }
  return out;
}

/** Whether this replica's documents include every one of `deps` (unknown documents are ignored). */
export function hasHeads(replica: EdgstrReplica, deps: DocHeads[]): boolean {
  for (const d of deps) {
    if (d.table) {
      const t = replica.tableSync.stores.get(d.docId);
      if (!t) continue;
      const held = d.table.site === replica.config.nodeId ? t.head() : t.position(d.table.site);
      if (held < d.table.version) return false;
      continue;
    }
    const a = replica.adapters.get(d.docId);
    if (!a || d.heads.length === 0) continue;
    const epoch = a.store.epoch;
    if (d.epoch > epoch) return false;
    if (d.epoch === epoch) {
      if (!A.hasHeads(a.store.doc, d.heads)) return false;
      continue;
    }
    // An older epoch: an edge's heads are in the base it moved to. The cloud keeps the hashes
    // of each archived epoch: heads it had before the switch are in the new epoch's base.
    if (replica.config.role === 'cloud' && archiveHasAll(replica.config.dataDir, d.docId, d.epoch, d.heads) !== true) return false;
  }
  return true;
}

/** Resolves true once the replica has `deps`, false after `waitMs`. */
export async function waitForHeads(replica: EdgstrReplica, deps: DocHeads[], waitMs: number): Promise<boolean> {
  const until = performance.now() + waitMs;
  for (;;) {
    if (hasHeads(replica, deps)) return true;
    if (performance.now() >= until) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** What the edge knows about the session of its clients. */
export class EdgeSession {
  private wroteLocally = false;
  /** The latest flush a forward started: a later forward waits for it too (see dependencies). */
  private lastFlush: Promise<void> = Promise.resolve();
  /** Cloud heads answered to forwarded requests that this edge has not received yet. */
  private required: DocHeads[][] = [];
  /** Counts (tests): local requests that waited, were forwarded, were served while cut off; forwards that flushed first, or went without dependencies while refused. */
  readonly stats = { waited: 0, forwardedStale: 0, servedOffline: 0, flushedBeforeForward: 0, forwardedRefused: 0 };

  constructor(
    private readonly replica: EdgstrReplica,
    readonly options: SessionOptions,
  ) {}

  /** A locally served request committed: the next forwarded request flushes first. */
  noteLocalCommit(): void {
    this.wroteLocally = true;
  }

  /**
   * Before forwarding: sends what this edge wrote and returns the value of `x-edgstr-after`
   * (null when the guarantees are off, or suspended while the cloud refuses this edge: the header is
   * then removed).
   */
  async dependencies(): Promise<string | null> {
    if (!this.options.enabled) return null;
    if (this.replica.refusal !== null) {
      // The cloud refuses this node id (another live edge has it) and so receives none of this
      // edge's changes: waiting for them would only turn every forwarded request into a 503. Such
      // an edge generates no keys and its operator is told to rename it (replica.ts, onRefused).
      this.stats.forwardedRefused++;
      return null;
    }
    if (this.wroteLocally) {
      // Cleared before the flush: a commit during it sets it again for the next forward.
      this.wroteLocally = false;
      this.stats.flushedBeforeForward++;
      const flush = this.replica.flush();
      // Its failure is this forward's; a later forward that waits for it goes on.
      this.lastFlush = flush.catch(() => undefined);
      await flush;
    } else {
      // A commit made before another forward cleared the flag is captured by that forward's
      // flush, which may still be running: wait for it too, or these heads would miss this
      // client's own write. (Hidden while the edge flushed after every answer; with the sync
      // window alone, the write is otherwise captured only 20 ms later.)
      await this.lastFlush;
    }
    return encodeHeads(this.replica);
  }

  /** The cloud's `x-edgstr-heads` of a forwarded answer. */
  noteCloudHeads(value: string | string[] | undefined): void {
    if (!this.options.enabled || typeof value !== 'string') return;
    const deps = parseHeads(value);
    if (!deps || hasHeads(this.replica, deps)) return;
    this.required.push(deps);
    // The cloud's documents only grow, so a later answer's heads cover an earlier one's (but for
    // answers overtaking each other): while the sync connection lags, keep the latest ones only.
    if (this.required.length > MAX_REQUIRED) this.required.splice(0, this.required.length - MAX_REQUIRED);
  }

  /**
   * Before serving locally: true once this edge has every cloud change answered to a forwarded
   * request so far; false (forward this request instead) when they do not arrive within waitMs.
   */
  async readyForLocal(): Promise<boolean> {
    this.required = this.required.filter((deps) => !hasHeads(this.replica, deps));
    if (this.required.length === 0) return true;
    this.stats.waited++;
    const pending = this.required;
    if (await waitForHeads(this.replica, pending.flat(), this.options.waitMs)) return true;
    // Still cut off from the cloud after the bound (the sync connection also drops for a moment
    // on a lossy link, hence the wait first): the heads cannot arrive and a forward would fail
    // too. An offline edge keeps serving (DESIGN.md §4), so it stops waiting for them.
    if (this.replica.health().peers.length === 0) {
      console.warn(`edgstr edge: no sync connection to the cloud for ${this.options.waitMs} ms: serving locally without the cloud's latest changes`);
      this.required = [];
      this.stats.servedOffline++;
      return true;
    }
    this.stats.forwardedStale++;
    return false;
  }
}

/**
 * Cloud: runs `proceed` (hands the request to the app) once the cloud has the heads the request's
 * `x-edgstr-after` names, and makes its answer carry `x-edgstr-heads`. A request without the
 * header (not from an edge) proceeds at once, untouched. Past waitMs: 503, Retry-After: 1.
 */
export function holdForSession(replica: EdgstrReplica, options: SessionOptions, req: IncomingMessage, res: ServerResponse, proceed: () => void): void {
  const value = req.headers[AFTER_HEADER];
  if (!options.enabled || typeof value !== 'string') return proceed();
  const deps = parseHeads(value);
  if (!deps) {
    return answerJson(res, 400, { error: `edgstr cloud: malformed ${AFTER_HEADER} header; it is set by edgstr edges only` });
  }
  const go = (): void => {
    stampHeadsOnAnswer(replica, res);
    proceed();
  };
  if (hasHeads(replica, deps)) return go();
  void waitForHeads(replica, deps, options.waitMs).then((ok) => {
    if (ok) return go();
    res.setHeader('retry-after', '1');
    answerJson(res, 503, {
      error: `edgstr cloud: the edge's writes this request depends on have not reached the cloud within ${options.waitMs} ms; retry shortly`,
      reason: 'session-barrier-timeout',
    });
  });
}

type Method = (this: ServerResponse, ...args: unknown[]) => unknown;

/**
 * Before the app's answer leaves, captures what the request changed (a flush) and adds the
 * cloud's heads as `x-edgstr-heads`. writeHead is held back until then; an answer streamed with
 * write() goes out unchanged, without heads (the edge then cannot wait for it).
 */
function stampHeadsOnAnswer(replica: EdgstrReplica, res: ServerResponse): void {
  const methods = res as unknown as Record<'writeHead' | 'write' | 'end', Method>;
  const { writeHead, write, end } = methods;
  let heldHead: unknown[] | null = null;
  let done = false;
  const restore = (): void => {
    done = true;
    methods.writeHead = writeHead;
    methods.write = write;
    methods.end = end;
    if (heldHead) writeHead.apply(res, heldHead);
    heldHead = null;
  };
  methods.writeHead = function holdHead(...args) {
    if (done) return writeHead.apply(this, args);
    heldHead = args;
    return this;
  };
  methods.write = function writeUnstamped(...args) {
    restore();
    return write.apply(this, args);
  };
  methods.end = function endStamped(...args) {
    if (done) return end.apply(this, args);
    done = true;
    replica
      .flush()
      .then(
        () => {
          if (!res.headersSent) res.setHeader(HEADS_HEADER, encodeHeads(replica));
        },
        (err: unknown) => console.warn(`edgstr cloud: could not capture before answering: ${errorMessage(err)}`),
      )
      .finally(() => {
        restore();
        end.apply(res, args);
      });
    return this;
  };
}

function answerJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
