/**
 * Sync of the replicated tables (table-store.ts) with every connected peer, cr-sqlite-style:
 * each side pulls "your changes after the version I persisted" and the other side streams
 * pages of them, at most PAGES_IN_FLIGHT unacknowledged at a time (a catch-up never holds more
 * than that in memory). The receiver applies each page in one SQL transaction together with
 * the position it reached, so an interrupted catch-up resumes there. Once caught up, new
 * changes (local captures, or changes merged from another peer: the cloud relays) are pushed
 * as pages the moment they exist; rows a peer sent itself are never sent back to it.
 *
 *   A -> B  tpull {db, after: A's position for B}        on connecting
 *   B -> A  tpage {db, from, to, head, rows, more}        ... A applies, persists `to`
 *   A -> B  tack  {db, v: to}                             B may send the next page
 *   B -> A  tack  {db, upTo}                              nothing to send: A holds B's up to upTo
 */
import type { TableStore, TablePage } from '../table-store.js';
import type { TableAckMessage, TablePageMessage, TablePullMessage, TableWireMessage } from './messages.js';
import type { Connection } from './transport.js';

/** Pages sent and not yet acknowledged, per peer and database. */
const PAGES_IN_FLIGHT = 2;

interface Direction {
  /** The peer asked (tpull): we know from where to send. */
  started: boolean;
  /** The `to` of the last page sent (or the peer's position). */
  sent: number;
  /** What the peer confirmed it holds of ours. */
  acked: number;
  inFlight: number;
  /** Tables whose column names the peer already got on this connection. */
  colsSent: Set<string>;
  /** The peer's column names per table (from its pages). */
  theirCols: Record<string, string[]>;
  /** The highest version of the peer's the peer told us of (its page heads, upTo). */
  theirHead: number | null;
}

export class TableSync {
  private readonly peers = new Map<Connection, Map<string, Direction>>();
  /** What the last peer to leave confirmed (pendingChanges while no peer is connected). */
  private readonly lastAcked = new Map<string, Map<string, number>>();
  /** Rows sent and bytes of them (the bench reads it through the replica's traffic). */
  pagesSent = 0;

  constructor(readonly stores: Map<string, TableStore>, private readonly onSend: (bytes: number) => void = () => {}) {}

  /** A new connection: ask for what the peer has after our persisted position. */
  connect(conn: Connection): void {
    const dirs = new Map<string, Direction>();
    this.peers.set(conn, dirs);
    for (const [db, store] of this.stores) {
      const acked = this.lastAcked.get(conn.remoteId)?.get(db) ?? 0;
      dirs.set(db, { started: false, sent: 0, acked, inFlight: 0, colsSent: new Set(), theirCols: {}, theirHead: null });
      this.send(conn, { type: 'tpull', db, after: store.position(conn.remoteId) });
    }
  }

  disconnect(conn: Connection): void {
    const dirs = this.peers.get(conn);
    this.peers.delete(conn);
    if (!dirs) return;
    const kept = new Map<string, number>();
    for (const [db, d] of dirs) kept.set(db, d.acked);
    // As for documents (lastShared): while no peer is connected, count what the last one lacks.
    this.lastAcked.clear();
    this.lastAcked.set(conn.remoteId, kept);
  }

  /**
   * Handles one table message from `conn` (the caller holds the replica's lock). Returns true
   * when local rows changed (the caller then pushes to the other peers: the cloud relays), null
   * when the message is refused (a database this replica does not replicate).
   */
  handle(conn: Connection, msg: TableWireMessage): boolean | null {
    const store = this.stores.get(msg.db);
    const dir = this.peers.get(conn)?.get(msg.db);
    if (!store || !dir) return null;
    switch (msg.type) {
      case 'tpull':
        dir.started = true;
        dir.sent = Math.min(msg.after, store.head());
        dir.acked = Math.max(dir.acked, dir.sent);
        dir.inFlight = 0;
        dir.colsSent.clear();
        // Always answer: the peer learns our head (its readiness) even when nothing is new.
        this.pump(conn, store, dir, undefined, true);
        return false;
      case 'tack':
        if (msg.v !== undefined) {
          dir.acked = Math.max(dir.acked, msg.v);
          dir.inFlight = Math.max(0, dir.inFlight - 1);
        }
        if (msg.upTo !== undefined) {
          dir.theirHead = Math.max(dir.theirHead ?? 0, msg.upTo);
          if (msg.upTo > store.position(conn.remoteId)) store.setPosition(conn.remoteId, msg.upTo);
        }
        this.pump(conn, store, dir);
        return false;
      case 'tpage': {
        const position = store.position(conn.remoteId);
        if (msg.from > position) {
          // A gap (cannot happen on an ordered connection): ask again from where we are.
          this.send(conn, { type: 'tpull', db: msg.db, after: position });
          return false;
        }
        Object.assign(dir.theirCols, msg.cols ?? {});
        const page: TablePage = { from: msg.from, to: msg.to, head: msg.head, more: msg.more, rows: msg.rows, cols: dir.theirCols };
        const changed = store.applyPage(page, conn.remoteId);
        // The sender's head, also while more pages follow: until they arrived we lack its changes
        // (the head counts rows it will never send us, ours: it acknowledges those with `upTo`).
        dir.theirHead = Math.max(dir.theirHead ?? 0, msg.head);
        this.pump(conn, store, dir, msg.to);
        return changed > 0;
      }
      default: {
        const never: never = msg;
        throw new Error(`unhandled table message ${JSON.stringify(never)}`);
      }
    }
  }

  /** Pushes new changes to every peer (after a capture, or after changes merged from one). */
  pumpAll(): void {
    for (const [conn, dirs] of this.peers) {
      for (const [db, dir] of dirs) this.pump(conn, this.stores.get(db)!, dir);
    }
  }

  /** Captures local changes of every database; returns how many rows changed. */
  capture(): number {
    let n = 0;
    for (const store of this.stores.values()) n += store.capture();
    return n;
  }

  /** Rows some connected peer is not known to have (or the last one, while none is connected). */
  unconfirmed(): number {
    let n = 0;
    for (const [db, store] of this.stores) {
      let worst = 0;
      if (this.peers.size === 0) {
        for (const [remote, acked] of this.lastAcked) worst = Math.max(worst, store.unconfirmed(remote, acked.get(db) ?? 0));
      }
      for (const [conn, dirs] of this.peers) {
        const dir = dirs.get(db);
        if (dir && dir.acked < store.head()) worst = Math.max(worst, store.unconfirmed(conn.remoteId, dir.acked));
      }
      n += worst;
    }
    return n;
  }

  /** Whether we hold, for every database, everything `conn`'s side last told us it has. */
  hasTheirChanges(conn: Connection): boolean {
    const dirs = this.peers.get(conn);
    if (!dirs) return false;
    for (const [db, dir] of dirs) {
      if (dir.theirHead === null || this.stores.get(db)!.position(conn.remoteId) < dir.theirHead) return false;
    }
    return true;
  }

  /**
   * Sends what `conn` lacks, up to PAGES_IN_FLIGHT pages. `answer` (the `to` of a page just
   * applied) is acknowledged in the same message as an `upTo` when there is nothing to send.
   */
  private pump(conn: Connection, store: TableStore, dir: Direction, answer?: number, always = false): void {
    let acked = answer === undefined;
    while (dir.started && dir.inFlight < PAGES_IN_FLIGHT && dir.sent < store.head()) {
      const page = store.changesAfter(dir.sent, conn.remoteId);
      dir.sent = page.to;
      if (page.rows.length === 0) {
        // Only the peer's own rows came back: it holds all of it.
        dir.acked = Math.max(dir.acked, page.to);
        this.send(conn, { type: 'tack', db: store.docId, ...(acked ? {} : { v: answer }), upTo: page.to });
        acked = true;
        always = false;
        continue;
      }
      const cols: Record<string, string[]> = {};
      let anyCols = false;
      for (const [tbl, names] of Object.entries(page.cols)) {
        if (dir.colsSent.has(tbl)) continue;
        dir.colsSent.add(tbl);
        cols[tbl] = names;
        anyCols = true;
      }
      const msg: TablePageMessage = { type: 'tpage', db: store.docId, from: page.from, to: page.to, head: page.head, rows: page.rows, more: page.more, ...(anyCols ? { cols } : {}) };
      if (!acked) {
        this.send(conn, { type: 'tack', db: store.docId, v: answer });
        acked = true;
      }
      dir.inFlight++;
      this.pagesSent++;
      this.send(conn, msg);
      always = false;
    }
    if (!acked) this.send(conn, { type: 'tack', db: store.docId, v: answer });
    else if (always) this.send(conn, { type: 'tack', db: store.docId, upTo: dir.sent });
  }

  private send(conn: Connection, msg: TablePullMessage | TablePageMessage | TableAckMessage): void {
    if (msg.type === 'tpage' || msg.type === 'tack') this.onSend(msg.type === 'tpage' ? JSON.stringify(msg).length : 40);
    conn.send(msg);
  }
}
