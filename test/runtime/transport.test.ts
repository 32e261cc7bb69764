import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemoryNetwork } from '../../src/runtime/sync/memory-transport.js';
import { dialSocketIo, listenSocketIo } from '../../src/runtime/sync/socketio-transport.js';
import { runTransportContract } from './transport-contract.js';
import { SECRET } from './helpers.js';

runTransportContract('in-memory', async () => {
  const net = createMemoryNetwork(SECRET);
  return { hub: net.hub, dial: (nodeId, token) => net.dial(nodeId, token), close: () => net.hub.close() };
});

runTransportContract('socket.io', async () => {
  const server = createServer((_req, res) => res.end('app'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const hub = listenSocketIo(server, { secret: SECRET });
  return {
    hub,
    dial: (nodeId, token) => dialSocketIo(url, { secret: token, nodeId }),
    close: async () => {
      await hub.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
});
