/**
 * `edgstr record --pcap`: a classic pcap capture -> the same HAR entries the live proxy writes.
 * Everything is parsed before the HAR is touched, so a capture that yields nothing leaves an
 * existing file as it was.
 */
import { UserError } from '../../model/errors.js';
import { buildEntry, type EdgstrEntry, type RedactOptions } from '../har-entry.js';
import { HarWriter } from '../har-writer.js';
import { readPcap } from './read-pcap.js';
import { decodeFrame, isSupportedLinkType, type DecodeStats } from './decode-frame.js';
import { Reassembler, type Connection } from './tcp-reassembly.js';
import { parseRequests, parseResponses, type HttpMessage } from './http-exchanges.js';

export interface PcapRecordOptions {
  file: string;
  serverPort: number;
  out: string;
  redact: RedactOptions;
}

export interface PcapRecordResult {
  out: string;
  recorded: number;
  failed: number;
  connections: number;
  totalEntries: number;
  warnings: string[];
}

/** Parses the capture into HAR entries (no I/O besides reading it). */
export async function entriesFromPcap(file: string, serverPort: number, redact: RedactOptions): Promise<{ entries: EdgstrEntry[]; connections: number; warnings: string[] }> {
  const pcap = await readPcap(file);
  const warnings = [...pcap.warnings];
  if (!isSupportedLinkType(pcap.linkType)) {
    throw new UserError(`${file}: link type ${pcap.linkType} is not supported (Ethernet, Linux cooked, loopback and raw IP are); capture with tcpdump -i lo or -i any`);
  }
  const stats: DecodeStats = { fragments: 0 };
  const reasm = new Reassembler(serverPort);
  const portsSeen = new Map<number, number>();
  for (const f of pcap.frames) {
    const seg = decodeFrame(pcap.linkType, f.data, stats);
    if (!seg) continue;
    if (!reasm.add(seg, f.ts)) {
      for (const p of [seg.srcPort, seg.dstPort]) portsSeen.set(p, (portsSeen.get(p) ?? 0) + 1);
    }
  }
  if (stats.fragments > 0) warnings.push(`${file}: ${stats.fragments} fragmented IP packets were skipped`);
  const conns = reasm.connections().filter((c) => c.toServer.bytes > 0 || c.toClient.bytes > 0);
  if (conns.length === 0) {
    const top = [...portsSeen].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([p]) => p);
    throw new UserError(`${file}: no TCP traffic on port ${serverPort}${top.length ? ` (busiest ports in the capture: ${top.join(', ')})` : ' (no TCP traffic at all)'}; give the HTTP server's port with --server-port`);
  }
  const tls = conns.filter((c) => looksLikeTls(c));
  if (tls.length === conns.length) {
    throw new UserError(`${file}: the traffic on port ${serverPort} is encrypted (TLS): capture after TLS termination, e.g. between the TLS proxy and the app`);
  }
  if (tls.length > 0) warnings.push(`${file}: ${tls.length} TLS connections on port ${serverPort} were skipped (encrypted)`);

  const exchanges: { req: HttpMessage; res: HttpMessage | undefined; conn: Connection }[] = [];
  let notHttp = 0;
  for (const c of conns) {
    if (looksLikeTls(c)) continue;
    if (c.toServer.gap) warnings.push(`${file}: connection ${c.client}:${c.clientPort}: ${c.toServer.gap.dropped} request bytes after a gap at byte ${c.toServer.gap.at} were lost (packets missing from the capture)`);
    if (c.toClient.gap) warnings.push(`${file}: connection ${c.client}:${c.clientPort}: ${c.toClient.gap.dropped} response bytes after a gap at byte ${c.toClient.gap.at} were lost (packets missing from the capture)`);
    const reqs = parseRequests(c.toServer);
    if (reqs.error && reqs.messages.length === 0) {
      notHttp++;
      continue;
    }
    if (reqs.error) warnings.push(`${file}: connection ${c.client}:${c.clientPort}: request stream stopped parsing (${reqs.error}); ${reqs.messages.length} requests kept`);
    const complete = reqs.messages.filter((m) => m.complete);
    if (complete.length < reqs.messages.length) warnings.push(`${file}: connection ${c.client}:${c.clientPort}: an incomplete request at the end of the capture was dropped`);
    const res = parseResponses(c.toClient, (i) => complete[i]?.method);
    if (res.error) warnings.push(`${file}: connection ${c.client}:${c.clientPort}: response stream stopped parsing (${res.error})`);
    complete.forEach((req, i) => exchanges.push({ req, res: res.messages[i], conn: c }));
    if (res.messages.length > complete.length) warnings.push(`${file}: connection ${c.client}:${c.clientPort}: ${res.messages.length - complete.length} responses without a request were ignored`);
  }
  if (notHttp > 0) warnings.push(`${file}: ${notHttp} connections on port ${serverPort} did not carry HTTP/1.x and were skipped`);
  if (exchanges.length === 0) {
    throw new UserError(`${file}: no complete HTTP/1.1 request on port ${serverPort}${notHttp ? ' (the traffic there is not HTTP/1.x)' : ''}; check --server-port`);
  }
  exchanges.sort((a, b) => a.req.start - b.req.start);
  const unanswered = exchanges.filter((x) => !x.res).length;
  if (unanswered > 0) warnings.push(`${file}: ${unanswered} requests had no response in the capture; recorded as failed`);
  const entries = exchanges.map((x, i) => toEntry(i + 1, x.req, x.res, x.conn, redact));
  return { entries, connections: conns.length, warnings };
}

export async function recordPcap(opts: PcapRecordOptions): Promise<PcapRecordResult> {
  const { entries, connections, warnings } = await entriesFromPcap(opts.file, opts.serverPort, opts.redact);
  const writer = await HarWriter.open(opts.out);
  try {
    for (const e of entries) await writer.append(e);
  } finally {
    await writer.close();
  }
  return { out: opts.out, recorded: entries.length, failed: entries.filter((e) => e.response.status === 0).length, connections, totalEntries: writer.count, warnings };
}

function looksLikeTls(c: Connection): boolean {
  const first = c.toServer.chunks[0]?.data ?? c.toClient.chunks[0]?.data;
  return first !== undefined && first.length >= 3 && first[0] === 0x16 && first[1] === 0x03 && first[2]! <= 0x04;
}

function toEntry(seq: number, req: HttpMessage, res: HttpMessage | undefined, conn: Connection, redact: RedactOptions): EdgstrEntry {
  const host = conn.server.includes(':') ? `[${conn.server}]` : conn.server;
  const ok = res !== undefined && res.complete;
  const reqBody = Buffer.concat(req.body);
  const resBody = res ? Buffer.concat(res.body) : Buffer.alloc(0);
  return buildEntry(
    {
      seq,
      startedAt: new Date(req.start),
      method: req.method ?? 'GET',
      url: `http://${host}:${conn.serverPort}${req.url?.startsWith('/') ? req.url : `/${req.url ?? ''}`}`,
      httpVersion: `${req.versionMajor}.${req.versionMinor}`,
      requestHeaders: req.headers,
      requestBody: { bytes: reqBody, size: req.bodySize, truncated: false },
      status: ok ? res.status ?? 0 : 0,
      statusText: ok ? res.statusText ?? '' : '',
      responseHeaders: ok ? res.headers : [],
      responseBody: { bytes: resBody, size: res?.bodySize ?? 0, truncated: false },
      timings: res
        ? { send: Math.max(0, req.end - req.start), wait: Math.max(0, res.headersAt - req.end), receive: Math.max(0, res.end - res.headersAt) }
        : { send: Math.max(0, req.end - req.start), wait: 0, receive: 0 },
      serverIPAddress: conn.server,
      connection: String(conn.clientPort),
      ...(ok ? {} : { error: res ? 'the response was cut off at the end of the capture' : 'no response in the capture' }),
    },
    redact,
  );
}
