/**
 * The sync transport, as the replica sees it: endpoints that produce authenticated
 * connections. The hub side listens (socket.io on the cloud's HTTP server), the edge side
 * dials (and re-dials after a drop: each successful connect is a new Connection). The
 * contract test suite (test/runtime/transport-contract.ts) runs against every implementation.
 */
import type { WireMessage } from './messages.js';

export interface Connection {
  /** The authenticated node id of the other side ("cloud" when dialing the hub). */
  readonly remoteId: string;
  send(message: WireMessage): void;
  /** Raw, unvalidated payloads: the receiver validates them with parseWireMessage. */
  onMessage(handler: (raw: unknown) => void): void;
  onClose(handler: () => void): void;
  close(): void;
  /**
   * Optional: a round trip to the other side over this connection, ms (rejects after
   * `timeoutMs` or when closed). Adaptive placement's RTT estimate (placement.ts) uses it.
   */
  ping?(timeoutMs: number): Promise<number>;
}

export interface Endpoint {
  onConnection(handler: (connection: Connection) => void): void;
  close(): Promise<void>;
}

/** Peers present the shared secret; the hub must compare it in constant time. */
export interface PeerAuth {
  token: string;
  nodeId: string;
}

export const NODE_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;
