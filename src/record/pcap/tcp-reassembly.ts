/**
 * TCP reassembly per connection and direction: orders segments by sequence number, buffers
 * out-of-order ones, drops retransmitted bytes (also partial overlaps), and stops a direction at
 * the first hole that never fills (the bytes after it cannot be parsed reliably).
 */
import type { Segment } from './decode-frame.js';

export interface StreamChunk {
  data: Buffer;
  /** Capture time (ms) of the packet that completed these bytes. */
  ts: number;
}

export interface Direction {
  chunks: StreamChunk[];
  bytes: number;
  /** Set when a hole never filled: where it starts and how many bytes were lost after it. */
  gap?: { at: number; dropped: number };
}

export interface Connection {
  id: string;
  client: string;
  clientPort: number;
  server: string;
  serverPort: number;
  firstTs: number;
  toServer: Direction;
  toClient: Direction;
  /** The capture started after the handshake (no SYN seen). */
  midStream: boolean;
}

class DirectionState {
  base: number | undefined;
  next = 0;
  pending = new Map<number, StreamChunk>();
  out: Direction = { chunks: [], bytes: 0 };
  sawSyn = false;

  add(seg: Segment, ts: number): void {
    if (seg.syn) {
      this.sawSyn = true;
      this.base = (seg.seq + 1) >>> 0;
      if (seg.payload.length === 0) return;
    }
    if (seg.payload.length === 0) return;
    if (this.base === undefined) this.base = seg.seq;
    const start = seg.syn ? 0 : (seg.seq - this.base) | 0; // signed 32-bit distance: survives wrap-around
    let rel = start;
    let data = seg.payload;
    if (rel + data.length <= this.next) return; // retransmission of bytes already delivered
    if (rel < this.next) {
      data = data.subarray(this.next - rel);
      rel = this.next;
    }
    if (rel === this.next) {
      this.deliver(data, ts);
      this.flush();
    } else {
      const prev = this.pending.get(rel);
      if (!prev || prev.data.length < data.length) this.pending.set(rel, { data: Buffer.from(data), ts });
    }
  }

  private deliver(data: Buffer, ts: number): void {
    // Copy: frames are slices of pcap-parser's buffers.
    this.out.chunks.push({ data: Buffer.from(data), ts });
    this.out.bytes += data.length;
    this.next += data.length;
  }

  private flush(): void {
    for (let progress = true; progress && this.pending.size > 0; ) {
      progress = false;
      for (const [rel, chunk] of this.pending) {
        if (rel > this.next) continue;
        this.pending.delete(rel);
        if (rel + chunk.data.length > this.next) this.deliver(chunk.data.subarray(this.next - rel), chunk.ts);
        progress = true;
      }
    }
  }

  finish(): Direction {
    if (this.pending.size > 0) {
      let dropped = 0;
      for (const c of this.pending.values()) dropped += c.data.length;
      this.out.gap = { at: this.next, dropped };
    }
    return this.out;
  }
}

interface ConnState {
  conn: Omit<Connection, 'toServer' | 'toClient'>;
  toServer: DirectionState;
  toClient: DirectionState;
  closed: boolean;
}

/** Groups segments to/from serverPort into connections and reassembles both directions. */
export class Reassembler {
  private conns = new Map<string, ConnState>();
  private done: ConnState[] = [];
  private serial = 0;

  constructor(private readonly serverPort: number) {}

  add(seg: Segment, ts: number): boolean {
    const toServer = seg.dstPort === this.serverPort;
    if (!toServer && seg.srcPort !== this.serverPort) return false;
    const client = toServer ? seg.src : seg.dst;
    const clientPort = toServer ? seg.srcPort : seg.dstPort;
    const server = toServer ? seg.dst : seg.src;
    const key = `${client}|${clientPort}|${server}`;
    let st = this.conns.get(key);
    // A new SYN from the client on a used 4-tuple starts a new connection (port reuse).
    if (st && toServer && seg.syn && (st.closed || st.toServer.out.bytes > 0)) {
      this.done.push(st);
      st = undefined;
    }
    if (!st) {
      st = {
        conn: { id: `c${++this.serial}`, client, clientPort, server, serverPort: this.serverPort, firstTs: ts, midStream: false },
        toServer: new DirectionState(),
        toClient: new DirectionState(),
        closed: false,
      };
      this.conns.set(key, st);
    }
    (toServer ? st.toServer : st.toClient).add(seg, ts);
    if (seg.fin || seg.rst) st.closed = true;
    return true;
  }

  connections(): Connection[] {
    return [...this.done, ...this.conns.values()].map((st) => ({
      ...st.conn,
      midStream: !st.toServer.sawSyn,
      toServer: st.toServer.finish(),
      toClient: st.toClient.finish(),
    }));
  }
}
