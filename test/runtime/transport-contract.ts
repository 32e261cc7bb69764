/**
 * The contract every sync transport fulfils (in the style of automerge-repo's
 * network-adapter-tests): run by transport.test.ts against socket.io and the in-memory one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection, Endpoint } from '../../src/runtime/sync/transport.js';
import type { WireMessage } from '../../src/runtime/sync/messages.js';
import { parseWireMessage } from '../../src/runtime/sync/messages.js';
import { SECRET, waitFor } from './helpers.js';

export interface TransportPair {
  hub: Endpoint;
  dial(nodeId: string, token: string): Endpoint;
  close(): Promise<void>;
}

export function runTransportContract(name: string, create: () => Promise<TransportPair>): void {
  describe(`sync transport contract: ${name}`, () => {
    let pair: TransportPair | null = null;
    const dialers: Endpoint[] = [];
    afterEach(async () => {
      for (const d of dialers.splice(0)) await d.close();
      await pair?.close();
      pair = null;
    });

    async function connect(nodeId: string): Promise<{ hubSide: Connection; edgeSide: Connection }> {
      pair ??= await create();
      let hubSide: Connection | null = null;
      let edgeSide: Connection | null = null;
      pair.hub.onConnection((c) => {
        if (c.remoteId === nodeId) hubSide = c;
      });
      const dialer = pair.dial(nodeId, SECRET);
      dialers.push(dialer);
      dialer.onConnection((c) => (edgeSide = c));
      await waitFor(() => hubSide !== null && edgeSide !== null, 5000, 'connection');
      return { hubSide: hubSide!, edgeSide: edgeSide! };
    }

    it('authenticates the dialer and delivers binary messages both ways, in order', async () => {
      const { hubSide, edgeSide } = await connect('edge-1');
      expect(hubSide.remoteId).toBe('edge-1');
      const atHub: WireMessage[] = [];
      const atEdge: WireMessage[] = [];
      hubSide.onMessage((raw) => atHub.push(parseWireMessage(raw, 1 << 20) as WireMessage));
      edgeSide.onMessage((raw) => atEdge.push(parseWireMessage(raw, 1 << 20) as WireMessage));
      for (let i = 1; i <= 20; i++) edgeSide.send({ type: 'sync', docId: 'd', epoch: 0, data: new Uint8Array([i, 0, 255]) });
      hubSide.send({ type: 'hello', heads: { d: ['a'.repeat(64)] } });
      await waitFor(() => atHub.length === 20 && atEdge.length === 1, 5000, 'messages');
      expect(atHub.map((m) => (m.type === 'sync' ? [...m.data] : null))).toEqual(
        Array.from({ length: 20 }, (_, i) => [i + 1, 0, 255]));
      expect(atEdge[0]).toEqual({ type: 'hello', heads: { d: ['a'.repeat(64)] } });
    });

    it('refuses a dialer with a wrong token: no connection on either side', async () => {
      pair ??= await create();
      let hubSaw = 0;
      let edgeSaw = 0;
      pair.hub.onConnection(() => hubSaw++);
      const bad = pair.dial('intruder', 'not-the-secret');
      dialers.push(bad);
      bad.onConnection(() => edgeSaw++);
      await new Promise((r) => setTimeout(r, 400));
      expect([hubSaw, edgeSaw]).toEqual([0, 0]);
    });

    it('tells the dialer when the hub drops the connection', async () => {
      const { hubSide, edgeSide } = await connect('edge-2');
      let closed = false;
      edgeSide.onClose(() => (closed = true));
      hubSide.close();
      await waitFor(() => closed, 5000, 'close at the dialer');
    });

    it('keeps connections of several peers apart', async () => {
      const a = await connect('edge-a');
      const b = await connect('edge-b');
      const atB: unknown[] = [];
      b.edgeSide.onMessage((raw) => atB.push(raw));
      const atA: unknown[] = [];
      a.edgeSide.onMessage((raw) => atA.push(raw));
      b.hubSide.send({ type: 'sync', docId: 'only-b', epoch: 0, data: new Uint8Array([1]) });
      await waitFor(() => atB.length === 1, 5000, 'message to b');
      await new Promise((r) => setTimeout(r, 50));
      expect(atA).toEqual([]);
    });
  });
}
