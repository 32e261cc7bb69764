/**
 * A user-space WAN emulator: a TCP proxy that adds one-way propagation delay, shapes bandwidth
 * (one shared link per direction, serialization delay = bytes / rate) and emulates loss the way
 * TCP experiences it (a lost segment arrives one retransmission timeout late). `tc netem` is not
 * available on these machines (DESIGN.md §5), so delay and loss live here; bandwidth may also be
 * shaped in the kernel (see scripts/wan-netns.sh) and this proxy then runs with rate 0 (unlimited).
 */
import net from 'node:net';

export interface WanOptions {
  /** Where the proxy forwards to. */
  targetHost: string;
  targetPort: number;
  /** Address to listen on (default 127.0.0.1:0 = any free port). */
  host?: string;
  port?: number;
  /** One-way delay added to every byte, in ms (RTT = 2 × delay). */
  delayMs: number;
  /** Link rate in bytes per second, per direction; 0 = unlimited. */
  bytesPerSecond: number;
  /** Probability that a segment is "lost" and arrives one RTO late (0..1). Deterministic PRNG. */
  loss?: number;
  /** Seed for the loss PRNG. */
  seed?: number;
}

export interface WanStats {
  /** Bytes client → target (upstream) and target → client (downstream). */
  up: number;
  down: number;
  connections: number;
}

export interface WanProxy {
  readonly port: number;
  readonly host: string;
  stats(): WanStats;
  resetStats(): void;
  /** Changes the one-way delay from now on (bytes already queued keep their delivery time; order holds). */
  setDelay(delayMs: number): void;
  close(): Promise<void>;
}

/** Pieces larger than this are split so that pacing is smooth at low rates. */
const PIECE = 16 * 1024;
/** Pause the sending side when this many bytes are queued on a link for one connection. */
const HIGH_WATER = 256 * 1024;

/** One direction of the WAN: a FIFO link shared by every connection. */
class Link {
  private freeAt = 0;
  constructor(
    private readonly rate: number,
    public delayMs: number,
    private readonly lossRto: number,
    private readonly lost: () => boolean,
  ) {}

  /** When a piece of `size` bytes handed over now is delivered at the far end (ms, monotonic). */
  deliveryTime(size: number, now: number): number {
    const txMs = this.rate > 0 ? (size * 1000) / this.rate : 0;
    const start = Math.max(now, this.freeAt);
    this.freeAt = start + txMs;
    const extra = this.lost() ? this.lossRto : 0;
    return this.freeAt + this.delayMs + extra;
  }
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Pipes `from` into `to` through `link`, preserving order: each piece is written at its delivery
 * time, never before an earlier piece. `count` adds the bytes to the stats.
 */
function pipeThrough(from: net.Socket, to: net.Socket, link: Link, count: (n: number) => void): void {
  let lastDelivery = 0;
  let queued = 0;
  let ended = false;
  // Pieces in order, each with its delivery time. One timer drains them from the front: a timer
  // per piece could fire out of order (Node rounds each delay to whole ms, and a piece behind a
  // "lost" one gets a shorter delay for the same delivery time), which would corrupt the stream.
  const fifo: Array<{ at: number; piece: Buffer }> = [];
  let timer: NodeJS.Timeout | null = null;
  const finish = (): void => {
    if (ended && fifo.length === 0 && !to.destroyed) to.end();
  };
  const drain = (): void => {
    timer = null;
    const now = performance.now();
    while (fifo.length > 0 && fifo[0]!.at <= now + 0.5) {
      const { piece } = fifo.shift()!;
      queued -= piece.length;
      count(piece.length);
      if (!to.destroyed) to.write(piece);
    }
    if (queued < HIGH_WATER && from.isPaused()) from.resume();
    if (fifo.length > 0) timer = setTimeout(drain, Math.max(0, fifo[0]!.at - now));
    finish();
  };
  from.on('data', (chunk: Buffer) => {
    for (let off = 0; off < chunk.length; off += PIECE) {
      const piece = chunk.subarray(off, Math.min(chunk.length, off + PIECE));
      const now = performance.now();
      const at = Math.max(link.deliveryTime(piece.length, now), lastDelivery);
      lastDelivery = at;
      queued += piece.length;
      fifo.push({ at, piece });
      if (timer === null) timer = setTimeout(drain, Math.max(0, at - now));
    }
    if (queued >= HIGH_WATER) from.pause();
  });
  from.on('end', () => {
    ended = true;
    finish();
  });
}

export async function startWanProxy(opts: WanOptions): Promise<WanProxy> {
  const rand = mulberry32(opts.seed ?? 1);
  const loss = opts.loss ?? 0;
  // A lost segment costs about one retransmission timeout: max(200 ms, 2 × RTT) as Linux's minimum RTO.
  const rto = Math.max(200, 4 * opts.delayMs);
  const up = new Link(opts.bytesPerSecond, opts.delayMs, rto, () => loss > 0 && rand() < loss);
  const down = new Link(opts.bytesPerSecond, opts.delayMs, rto, () => loss > 0 && rand() < loss);
  const stats: WanStats = { up: 0, down: 0, connections: 0 };
  const sockets = new Set<net.Socket>();

  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    stats.connections++;
    const upstream = net.connect({ host: opts.targetHost, port: opts.targetPort, allowHalfOpen: true });
    sockets.add(client);
    sockets.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    pipeThrough(client, upstream, up, (n) => (stats.up += n));
    pipeThrough(upstream, client, down, (n) => (stats.down += n));
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close);
    upstream.on('error', close);
    // A side that closes has ended its stream; pipeThrough ends the other side once everything
    // queued was delivered. Forget the pair when both are gone.
    let closed = 0;
    const onClose = (): void => {
      if (++closed === 2) close();
    };
    client.on('close', onClose);
    upstream.on('close', onClose);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as net.AddressInfo;
  return {
    port: addr.port,
    host: addr.address,
    stats: () => ({ ...stats }),
    setDelay: (delayMs: number) => {
      up.delayMs = delayMs;
      down.delayMs = delayMs;
    },
    resetStats: () => {
      stats.up = 0;
      stats.down = 0;
      stats.connections = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
