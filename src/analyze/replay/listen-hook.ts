/**
 * Loaded into the app analyze runs (NODE_OPTIONS=--import, beside the tracer): the app's first
 * HTTP server listens where analyze says, on loopback, whatever the app asks for —
 * `app.listen(3000)`, `server.listen({ port: 5000 })` or a port from its own config — as the
 * generated cloud and edge do. An app that reads PORT gets the same port from there.
 *
 *   listen(3000, () => ...)  ->  listen({ port: EDGSTR_LISTEN_PORT, host: '127.0.0.1' }, () => ...)
 */
import http from 'node:http';

const port = Number(process.env.EDGSTR_LISTEN_PORT);

if (Number.isInteger(port) && port > 0) {
  const listen = http.Server.prototype.listen;
  http.Server.prototype.listen = function listenWhereTold(this: http.Server, ...args: unknown[]) {
    // Only the first server: later ones (an admin port, say) are the app's own business.
    http.Server.prototype.listen = listen;
    const last = args.at(-1);
    const callback = typeof last === 'function' ? (last as () => void) : undefined;
    return callback ? listen.call(this, { port, host: '127.0.0.1' }, callback) : listen.call(this, { port, host: '127.0.0.1' });
  } as typeof http.Server.prototype.listen;
}
