/**
 * Loaded into the app analyze runs (NODE_OPTIONS=--import, beside the tracer): the app's first
 * HTTP server listens where analyze says, on loopback, whatever the app asks for —
 * `app.listen(3000)`, `server.listen({ port: 5000 })` or a port from its own config — as the
 * generated cloud and edge do. An app that reads PORT gets the same port from there. A port the
 * app chose itself is written to EDGSTR_CONTROL_DIR/asked-port.
 *
 *   listen(3000, () => ...)  ->  listen({ port: EDGSTR_LISTEN_PORT, host: '127.0.0.1' }, () => ...)
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const port = Number(process.env.EDGSTR_LISTEN_PORT);
const controlDir = process.env.EDGSTR_CONTROL_DIR;

/** listen(3000), listen('3000'), listen({ port: 3000 }) -> 3000; anything else -> null. */
function askedPort(args: unknown[]): number | null {
  const first = args[0];
  const value = first !== null && typeof first === 'object' ? (first as { port?: unknown }).port : first;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : null;
}

if (Number.isInteger(port) && port > 0) {
  const listen = http.Server.prototype.listen;
  http.Server.prototype.listen = function listenWhereTold(this: http.Server, ...args: unknown[]) {
    // Only the first server: later ones (an admin port, say) are the app's own business.
    http.Server.prototype.listen = listen;
    // The port the app itself asked for is its port in analysis.json (what the generated cloud
    // uses when PORT is not set).
    const asked = askedPort(args);
    if (controlDir && asked !== null && asked !== port) fs.writeFileSync(path.join(controlDir, 'asked-port'), String(asked));
    const last = args.at(-1);
    const callback = typeof last === 'function' ? (last as () => void) : undefined;
    // Other options the app gave (backlog, exclusive, ...) are kept; a Unix socket path is not.
    const given = args[0] !== null && typeof args[0] === 'object' ? (args[0] as Record<string, unknown>) : {};
    const { path: _socket, port: _port, host: _host, ...rest } = given;
    const options = { ...rest, port, host: '127.0.0.1' };
    return callback ? listen.call(this, options, callback) : listen.call(this, options);
  } as typeof http.Server.prototype.listen;
}
