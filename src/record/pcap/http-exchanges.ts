/**
 * HTTP/1.1 messages from a reassembled connection, parsed with http-parser-js: keep-alive and
 * pipelining (requests and responses are matched in order), Content-Length, chunked, bodies read
 * to connection close, and responses without a body (HEAD, 1xx, 204, 304).
 */
import { HTTPParser } from 'http-parser-js';
import type { Direction, StreamChunk } from './tcp-reassembly.js';

export interface HttpMessage {
  start: number;
  end: number;
  /** ts of the packet that completed the header block. */
  headersAt: number;
  versionMajor: number;
  versionMinor: number;
  headers: string[];
  body: Buffer[];
  bodySize: number;
  method?: string;
  url?: string;
  status?: number;
  statusText?: string;
  complete: boolean;
}

export interface ParseResult {
  messages: HttpMessage[];
  error?: string;
}

export function parseRequests(dir: Direction): ParseResult {
  return parseStream(dir.chunks, 'REQUEST', () => false);
}

/** Responses; `methodOf(i)` gives the method of the i-th request so HEAD answers carry no body. */
export function parseResponses(dir: Direction, methodOf: (i: number) => string | undefined): ParseResult {
  return parseStream(dir.chunks, 'RESPONSE', (i, status) => methodOf(i) === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200));
}

function parseStream(chunks: StreamChunk[], type: 'REQUEST' | 'RESPONSE', noBody: (index: number, status: number) => boolean): ParseResult {
  const parser = new HTTPParser(type === 'REQUEST' ? HTTPParser.REQUEST : HTTPParser.RESPONSE);
  const messages: HttpMessage[] = [];
  let current: HttpMessage | undefined;
  let ts = 0;
  let startTs: number | undefined;
  let finals = 0; // final (non-1xx) responses seen, to match with requests
  parser[HTTPParser.kOnHeadersComplete] = (info) => {
    current = {
      start: startTs ?? ts,
      end: ts,
      headersAt: ts,
      versionMajor: info.versionMajor,
      versionMinor: info.versionMinor,
      headers: info.headers,
      body: [],
      bodySize: 0,
      complete: false,
      ...(type === 'REQUEST' ? { method: HTTPParser.methods[info.method] ?? String(info.method), url: info.url } : { status: info.statusCode, statusText: info.statusMessage }),
    };
    if (type === 'RESPONSE') {
      const status = info.statusCode;
      const skip = noBody(finals, status);
      if (status >= 200) finals++;
      return skip ? 1 : 0;
    }
    return 0;
  };
  parser[HTTPParser.kOnBody] = (chunk, offset, length) => {
    if (!current) return;
    current.body.push(Buffer.from(chunk.subarray(offset, offset + length)));
    current.bodySize += length;
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    if (!current) return;
    current.end = ts;
    current.complete = true;
    // 1xx responses (100 Continue) are not answers: the final response follows.
    if (!(type === 'RESPONSE' && current.status !== undefined && current.status < 200)) messages.push(current);
    current = undefined;
    startTs = undefined;
  };
  for (const c of chunks) {
    ts = c.ts;
    startTs ??= c.ts;
    const r = parser.execute(c.data);
    if (r instanceof Error) return { messages, error: r.message };
  }
  // A body delimited by connection close ends here.
  const fin = parser.finish();
  if (current && !current.complete) messages.push(current);
  return fin instanceof Error && !current ? { messages, error: fin.message } : { messages };
}
