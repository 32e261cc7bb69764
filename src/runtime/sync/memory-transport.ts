/**
 * An in-process transport with the same semantics as the socket.io one (asynchronous delivery
 * in order, payloads copied, wrong token refused before any message): for tests, and as the
 * second implementation the transport contract suite runs against.
 */
import { authenticate } from './auth.js';
import type { Connection, Endpoint } from './transport.js';
import type { WireMessage } from './messages.js';

class MemoryConnection implements Connection {
  peer: MemoryConnection | null = null;
  private readonly messageHandlers: ((raw: unknown) => void)[] = [];
  private readonly closeHandlers: (() => void)[] = [];
  private closed = false;

  constructor(readonly remoteId: string) {}

  send(message: WireMessage): void {
    const peer = this.peer;
    if (this.closed || !peer) return;
    const copy = structuredClone(message);
    setImmediate(() => peer.deliver(copy));
  }

  deliver(raw: unknown): void {
    if (this.closed) return;
    for (const h of this.messageHandlers) h(raw);
  }

  onMessage(handler: (raw: unknown) => void): void {
    this.messageHandlers.push(handler);
  }

  onClose(handler: () => void): void {
    this.closeHandlers.push(handler);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const peer = this.peer;
    setImmediate(() => {
      for (const h of this.closeHandlers) h();
      peer?.close();
    });
  }
}

class MemoryEndpoint implements Endpoint {
  readonly connections = new Set<MemoryConnection>();
  private readonly handlers: ((c: Connection) => void)[] = [];
  private pending: MemoryConnection[] = [];

  onConnection(handler: (c: Connection) => void): void {
    this.handlers.push(handler);
    for (const c of this.pending) handler(c);
    this.pending = [];
  }

  emit(c: MemoryConnection): void {
    this.connections.add(c);
    c.onClose(() => this.connections.delete(c));
    if (this.handlers.length === 0) this.pending.push(c);
    for (const h of this.handlers) h(c);
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.close();
    await new Promise((r) => setImmediate(r));
  }
}

export interface MemoryNetwork {
  /** The hub's listening endpoint. */
  hub: Endpoint;
  /** Dials the hub as `nodeId` presenting `token`; refused (no connection, ever) on a bad token. */
  dial(nodeId: string, token: string): Endpoint & { refused: Promise<boolean> };
  /** Drops every open connection (a network partition); dialers do not re-dial by themselves. */
  partition(): void;
}

export function createMemoryNetwork(secret: string): MemoryNetwork {
  const hub = new MemoryEndpoint();
  return {
    hub,
    dial(nodeId, token) {
      const client = new MemoryEndpoint();
      const accepted = authenticate({ token, nodeId }, secret);
      const refused = Promise.resolve(accepted === null);
      if (accepted !== null) {
        setImmediate(() => {
          const clientSide = new MemoryConnection('cloud');
          const hubSide = new MemoryConnection(accepted);
          clientSide.peer = hubSide;
          hubSide.peer = clientSide;
          hub.emit(hubSide);
          client.emit(clientSide);
        });
      }
      return Object.assign(client, { refused });
    },
    partition() {
      for (const c of hub.connections) c.close();
    },
  };
}
