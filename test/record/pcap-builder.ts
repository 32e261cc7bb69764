/** Builds classic pcap files in memory: Ethernet/null/raw/cooked link layers, IPv4 + TCP. */

export interface TcpPacket {
  src: [string, number];
  dst: [string, number];
  seq: number;
  flags?: { syn?: boolean; fin?: boolean; ack?: boolean };
  payload?: Buffer | string;
  ts: number; // ms
}

function ip4(a: string): Buffer {
  return Buffer.from(a.split('.').map(Number));
}

function tcpIp(p: TcpPacket): Buffer {
  const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : (p.payload ?? Buffer.alloc(0));
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(p.src[1], 0);
  tcp.writeUInt16BE(p.dst[1], 2);
  tcp.writeUInt32BE(p.seq >>> 0, 4);
  tcp[12] = 5 << 4;
  tcp[13] = (p.flags?.fin ? 1 : 0) | (p.flags?.syn ? 2 : 0) | (p.flags?.ack === false ? 0 : 0x10);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 20 + payload.length, 2);
  ip[8] = 64;
  ip[9] = 6;
  ip4(p.src[0]).copy(ip, 12);
  ip4(p.dst[0]).copy(ip, 16);
  return Buffer.concat([ip, tcp, payload]);
}

export function frame(linkType: number, p: TcpPacket): Buffer {
  const ip = tcpIp(p);
  switch (linkType) {
    case 1: {
      const eth = Buffer.alloc(14);
      eth.writeUInt16BE(0x0800, 12);
      return Buffer.concat([eth, ip]);
    }
    case 0: {
      const fam = Buffer.alloc(4);
      fam.writeUInt32LE(2, 0);
      return Buffer.concat([fam, ip]);
    }
    case 113: {
      const sll = Buffer.alloc(16);
      sll.writeUInt16BE(0x0800, 14);
      return Buffer.concat([sll, ip]);
    }
    case 101:
      return ip;
    default:
      throw new Error(`link type ${linkType}`);
  }
}

export function buildPcap(linkType: number, packets: TcpPacket[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(linkType, 20);
  const parts: Buffer[] = [head];
  for (const p of packets) {
    const data = frame(linkType, p);
    const h = Buffer.alloc(16);
    h.writeUInt32LE(Math.floor(p.ts / 1000), 0);
    h.writeUInt32LE(Math.round((p.ts % 1000) * 1000), 4);
    h.writeUInt32LE(data.length, 8);
    h.writeUInt32LE(data.length, 12);
    parts.push(h, data);
  }
  return Buffer.concat(parts);
}

/** Packets of one TCP connection: handshake, then data segments cut at the given sizes. */
export class Conn {
  private cSeq: number;
  private sSeq: number;
  packets: TcpPacket[] = [];
  constructor(
    private client: [string, number],
    private server: [string, number],
    private t: number,
    isnClient = 1000,
    isnServer = 5000,
  ) {
    this.cSeq = isnClient;
    this.sSeq = isnServer;
    this.packets.push({ src: client, dst: server, seq: this.cSeq, flags: { syn: true, ack: false }, ts: this.t++ });
    this.packets.push({ src: server, dst: client, seq: this.sSeq, flags: { syn: true }, ts: this.t++ });
    this.cSeq++;
    this.sSeq++;
  }
  /** Segments of `text` sent by the client (toServer) or the server, cut into `size`-byte pieces. */
  send(fromClient: boolean, text: string | Buffer, size = 1_000_000): TcpPacket[] {
    const buf = typeof text === 'string' ? Buffer.from(text) : text;
    const out: TcpPacket[] = [];
    for (let off = 0; off < buf.length; off += size) {
      const piece = buf.subarray(off, off + size);
      const seq = fromClient ? this.cSeq : this.sSeq;
      out.push({ src: fromClient ? this.client : this.server, dst: fromClient ? this.server : this.client, seq, payload: piece, ts: this.t++ });
      if (fromClient) this.cSeq += piece.length;
      else this.sSeq += piece.length;
    }
    return out;
  }
}
