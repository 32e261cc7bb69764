/**
 * The sync transport over socket.io (DESIGN.md §3): the hub is a socket.io server on the
 * default namespace at path /edgstr-sync attached to the cloud app's own http.Server; edges dial
 * it with `auth: { token, nodeId }`. The handshake is checked in a middleware, so a peer with a
 * wrong or missing token never gets a connection and receives nothing.
 */
import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { io as dialSocket, type Socket as ClientSocket } from 'socket.io-client';
import { authenticate } from './auth.js';
import { DEFAULT_MAX_MESSAGE_BYTES, type WireMessage } from './messages.js';
import type { Connection, Endpoint } from './transport.js';
import { rlog } from '../util.js';

export const SYNC_PATH = '/edgstr-sync';
const EVENT = 'edgstr';
/** A ping, acknowledged at once by the other side (adaptive placement's RTT samples). */
const PING_EVENT = 'edgstr-ping';

type AnySocket = Socket | ClientSocket;

class SocketConnection implements Connection {
  /**
   * A dialer's socket object lives across reconnects, while each connect is a new Connection:
   * everything this one registered is removed at its disconnect, so a later connection's
   * messages never reach an old peer (each reconnect used to add one more message handler).
   */
  private live = true;
  private readonly detach: (() => void)[] = [];

  constructor(
    readonly remoteId: string,
    private readonly socket: AnySocket,
  ) {
    const ended = (): void => {
      this.live = false;
      // After this event's other listeners (the replica's onClose) have run.
      queueMicrotask(() => {
        for (const d of this.detach.splice(0)) d();
      });
    };
    this.listen('disconnect', ended);
    // Either side answers a ping at once, before any sync work (the ack is socket.io's own).
    this.listen(PING_EVENT, (ack: unknown) => {
      if (typeof ack === 'function') (ack as () => void)();
    });
  }

  ping(timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      if (!this.live || !this.socket.connected) {
        reject(new Error('not connected'));
        return;
      }
      const started = performance.now();
      const timed = this.socket.timeout(timeoutMs) as unknown as { emit(event: string, ack: (err: Error | null) => void): void };
      timed.emit(PING_EVENT, (err) => (err ? reject(err) : resolve(performance.now() - started)));
    });
  }

  send(message: WireMessage): void {
    if (this.live && this.socket.connected) this.socket.emit(EVENT, message);
  }

  onMessage(handler: (raw: unknown) => void): void {
    this.listen(EVENT, (raw: unknown) => handler(raw));
  }

  onClose(handler: () => void): void {
    this.listen('disconnect', () => handler());
  }

  close(): void {
    if (this.live) this.socket.disconnect();
  }

  private listen(event: string, fn: (...args: never[]) => void): void {
    const s = this.socket as unknown as { on(e: string, f: typeof fn): void; off(e: string, f: typeof fn): void };
    s.on(event, fn);
    this.detach.push(() => s.off(event, fn));
  }
}

class HandlerList {
  private readonly handlers: ((c: Connection) => void)[] = [];
  private readonly early: Connection[] = [];
  add(h: (c: Connection) => void): void {
    this.handlers.push(h);
    for (const c of this.early.splice(0)) h(c);
  }
  emit(c: Connection): void {
    if (this.handlers.length === 0) this.early.push(c);
    for (const h of this.handlers) h(c);
  }
}

export interface HubOptions {
  secret: string;
  maxMessageBytes?: number;
}

/** Serves the sync hub on an existing HTTP server (the app's own port). */
export function listenSocketIo(server: HttpServer, options: HubOptions): Endpoint {
  const io = new Server(server, {
    path: SYNC_PATH,
    serveClient: false,
    // socket.io drops a connection whose packet exceeds this, before parsing it.
    maxHttpBufferSize: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
  });
  const handlers = new HandlerList();
  io.use((socket, next) => {
    const nodeId = authenticate(socket.handshake.auth, options.secret);
    if (nodeId === null) {
      rlog.warn(`refused sync peer from ${socket.handshake.address}: wrong or missing token`);
      next(new Error('unauthorized'));
      return;
    }
    (socket.data as { nodeId?: string }).nodeId = nodeId;
    next();
  });
  io.on('connection', (socket) => {
    handlers.emit(new SocketConnection((socket.data as { nodeId: string }).nodeId, socket));
  });
  return {
    onConnection: (h) => handlers.add(h),
    close: async () => {
      io.disconnectSockets(true);
      // io.close() would also close the app's HTTP server; only stop the engine.
      io.engine.close();
    },
  };
}

export interface DialOptions {
  secret: string;
  nodeId: string;
}

/** Dials the hub and keeps re-dialing with backoff; each connect yields a new Connection. */
export function dialSocketIo(url: string, options: DialOptions): Endpoint {
  const handlers = new HandlerList();
  const socket = dialSocket(url, {
    path: SYNC_PATH,
    auth: { token: options.secret, nodeId: options.nodeId },
    transports: ['websocket'],
    reconnection: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 3000,
    randomizationFactor: 0.3,
  });
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  socket.on('connect', () => handlers.emit(new SocketConnection('cloud', socket)));
  socket.on('disconnect', (reason: string) => {
    // socket.io does not re-dial after the server closed the connection on purpose (e.g. the
    // cloud shutting down for a restart), nor after the replica dropped it (a sync message it
    // could not apply: a new connection starts the sync over); the edge must, so it catches up.
    if ((reason === 'io server disconnect' || reason === 'io client disconnect') && !closed) {
      retry = setTimeout(() => socket.connect(), 500);
      retry.unref();
    }
  });
  socket.on('connect_error', (err: Error) => {
    // A refusal by the hub's middleware is not retried by socket.io itself: retry slowly, the
    // cloud may be restarting with the right secret.
    if (!socket.active && !closed) {
      rlog.warn(`sync connection to ${url} refused: ${err.message}`);
      retry = setTimeout(() => socket.connect(), 3000);
      retry.unref();
    }
  });
  return {
    onConnection: (h) => handlers.add(h),
    close: async () => {
      closed = true;
      clearTimeout(retry);
      socket.disconnect();
    },
  };
}
