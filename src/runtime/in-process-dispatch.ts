/**
 * Hands a request to the app's own `http.Server` in this process without a socket (issue 14):
 * a request object carrying the body and a response object whose output is collected, passed
 * to the server's 'request' listeners as Node's HTTP server would pass them. Before, the edge
 * sent every local request to the app over loopback TCP, so each one was parsed and serialized
 * twice and cost two sockets' worth of event-loop turns; measured with scripts/bench-lan.mjs.
 * (Fastify's light-my-request does the same for tests; this is the small part the edge needs.)
 *
 * The app sees the client's address and port on `req.socket`, a plain HTTP/1.1 request with
 * `content-length`, and a real `http.ServerResponse`: headers, status, write/end and pipe work as
 * usual; what it writes is collected whole and returned once it calls end().
 */
import { IncomingMessage, ServerResponse, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http';
import { Writable } from 'node:stream';

/** What an extracted function asks for: `path` includes the query string. */
export interface DispatchRequest {
  method: string;
  path: string;
  headers?: IncomingHttpHeaders;
  /** A Buffer or string is sent as is; any other value (not null) as JSON. */
  body?: unknown;
}

/** The app's whole answer. */
export interface DispatchAnswer {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

/** Where the request came from, shown to the app on `req.socket`. */
export interface DispatchPeer {
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
}

/**
 * The socket the app's request and response hang on: output is dropped (the response's
 * write/end are collected before they reach it); the methods apps and frameworks call on a
 * socket are there and do nothing.
 */
class DetachedSocket extends Writable {
  readonly remoteFamily = 'IPv4';
  readonly localAddress = '127.0.0.1';
  readonly localPort = 0;
  readonly encrypted = false;
  /**
   * Readable, as a connection with a request on it is: body-parser 2 (Express 5) skips the body
   * of a request whose socket is not (on-finished's isFinished). The request's body is pushed
   * into the request itself, so resume() and pause() have nothing to do.
   */
  readonly readable = true;

  constructor(
    readonly remoteAddress: string,
    readonly remotePort: number,
  ) {
    // Never full: Node's HTTP server relays a socket's 'drain' to its response, nothing does
    // here, so a response that waited for one (a piped file, res.sendFile) would stall.
    super({ highWaterMark: Number.MAX_SAFE_INTEGER, write: (_chunk, _encoding, callback) => callback() });
  }

  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  address(): { address: string; family: string; port: number } {
    return { address: this.localAddress, family: this.remoteFamily, port: this.localPort };
  }
}

type WriteArgs = [chunk?: unknown, encoding?: unknown, callback?: unknown];

function toBuffer(chunk: unknown, encoding: unknown): Buffer | null {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return null;
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
}

function bodyBytes(body: unknown, headers: IncomingHttpHeaders): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body);
  headers['content-type'] = 'application/json';
  return Buffer.from(JSON.stringify(body));
}

/** Runs `request` through `server`'s 'request' listeners; resolves with the answer once it ends. */
export function dispatchInProcess(server: Server, request: DispatchRequest, peer: DispatchPeer = {}): Promise<DispatchAnswer> {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const data = bodyBytes(request.body, headers);
  headers['content-length'] = String(data.length);
  delete headers['transfer-encoding'];
  delete headers.connection;
  delete headers.expect;

  const socket = new DetachedSocket(peer.remoteAddress ?? '127.0.0.1', peer.remotePort ?? 0);
  const req = new IncomingMessage(socket as unknown as ConstructorParameters<typeof IncomingMessage>[0]);
  req.method = request.method;
  req.url = request.path;
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.headers = headers;
  req.rawHeaders = Object.entries(headers).flatMap(([name, value]) => (Array.isArray(value) ? value.flatMap((v) => [name, v]) : [name, String(value)]));
  req.complete = true;
  if (data.length > 0) req.push(data);
  req.push(null);

  return new Promise<DispatchAnswer>((resolve, reject) => {
    const res = new ServerResponse(req);
    res.assignSocket(socket as unknown as Parameters<ServerResponse['assignSocket']>[0]);
    const chunks: Buffer[] = [];
    const write = res.write;
    const end = res.end;
    let ended = false;
    const collected = res as unknown as { write: (...args: WriteArgs) => boolean; end: (...args: WriteArgs) => ServerResponse };
    collected.write = function collectWrite(...args: WriteArgs): boolean {
      const chunk = ended ? null : toBuffer(args[0], args[1]);
      if (chunk) chunks.push(chunk);
      return (write as (...a: WriteArgs) => boolean).apply(this, args);
    };
    collected.end = function collectEnd(...args: WriteArgs): ServerResponse {
      if (ended) return (end as (...a: WriteArgs) => ServerResponse).apply(this, args);
      ended = true;
      const chunk = toBuffer(args[0], typeof args[1] === 'function' ? undefined : args[1]);
      if (chunk) chunks.push(chunk);
      const result = (end as (...a: WriteArgs) => ServerResponse).apply(this, args);
      resolve({ status: res.statusCode, headers: res.getHeaders(), body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
      return result;
    };
    res.on('error', reject);
    try {
      server.emit('request', req, res);
    } catch (err: unknown) {
      reject(err);
    }
  });
}
