/** Link layer -> IPv4/IPv6 -> TCP segment. Anything else (UDP, ARP, fragments) gives null. */

export interface Segment {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  syn: boolean;
  fin: boolean;
  rst: boolean;
  payload: Buffer;
}

/** Link types pcap files use for the captures edgstr reads. */
export const LINKTYPE = { NULL: 0, ETHERNET: 1, RAW_OLD: 12, RAW: 101, LINUX_SLL: 113, LOOP: 108, IPV4: 228, IPV6: 229, LINUX_SLL2: 276 } as const;

export function isSupportedLinkType(t: number): boolean {
  return (Object.values(LINKTYPE) as number[]).includes(t);
}

export interface DecodeStats {
  fragments: number;
}

export function decodeFrame(linkType: number, frame: Buffer, stats: DecodeStats): Segment | null {
  const ip = ipPayload(linkType, frame);
  if (!ip || ip.length < 1) return null;
  const version = ip[0]! >> 4;
  if (version === 4) return ipv4(ip, stats);
  if (version === 6) return ipv6(ip);
  return null;
}

function ipPayload(linkType: number, f: Buffer): Buffer | null {
  switch (linkType) {
    case LINKTYPE.ETHERNET: {
      let off = 12;
      let type = f.length >= 14 ? f.readUInt16BE(off) : 0;
      while ((type === 0x8100 || type === 0x88a8) && f.length >= off + 6) {
        off += 4; // VLAN tags
        type = f.readUInt16BE(off);
      }
      return type === 0x0800 || type === 0x86dd ? f.subarray(off + 2) : null;
    }
    case LINKTYPE.LINUX_SLL: {
      if (f.length < 16) return null;
      const type = f.readUInt16BE(14);
      return type === 0x0800 || type === 0x86dd ? f.subarray(16) : null;
    }
    case LINKTYPE.LINUX_SLL2: {
      if (f.length < 20) return null;
      const type = f.readUInt16BE(0);
      return type === 0x0800 || type === 0x86dd ? f.subarray(20) : null;
    }
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP: {
      // The address family is in the capturing host's byte order (LOOP: network order).
      if (f.length < 4) return null;
      const fam = linkType === LINKTYPE.LOOP ? f.readUInt32BE(0) : f.readUInt32LE(0) > 0xffff ? f.readUInt32BE(0) : f.readUInt32LE(0);
      return fam === 2 || fam === 24 || fam === 28 || fam === 30 ? f.subarray(4) : null;
    }
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_OLD:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
      return f;
    default:
      return null;
  }
}

function ipv4(ip: Buffer, stats: DecodeStats): Segment | null {
  if (ip.length < 20) return null;
  const ihl = (ip[0]! & 0x0f) * 4;
  const total = ip.readUInt16BE(2);
  if (ip[9] !== 6) return null;
  const flagsFrag = ip.readUInt16BE(6);
  if ((flagsFrag & 0x2000) !== 0 || (flagsFrag & 0x1fff) !== 0) {
    stats.fragments++;
    return null;
  }
  const end = total > 0 && total <= ip.length ? total : ip.length; // trims Ethernet padding; TSO captures have total 0
  const src = `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
  const dst = `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}`;
  return tcp(ip.subarray(ihl, end), src, dst);
}

function ipv6(ip: Buffer): Segment | null {
  if (ip.length < 40) return null;
  let next = ip[6]!;
  let off = 40;
  const end = Math.min(ip.length, 40 + ip.readUInt16BE(4) || ip.length);
  // Skip hop-by-hop, routing and destination-options extension headers.
  while ((next === 0 || next === 43 || next === 60) && off + 8 <= end) {
    next = ip[off]!;
    off += (ip[off + 1]! + 1) * 8;
  }
  if (next !== 6) return null;
  return tcp(ip.subarray(off, end), v6(ip.subarray(8, 24)), v6(ip.subarray(24, 40)));
}

function v6(b: Buffer): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16));
  return parts.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
}

function tcp(t: Buffer, src: string, dst: string): Segment | null {
  if (t.length < 20) return null;
  const dataOff = (t[12]! >> 4) * 4;
  const flags = t[13]!;
  return {
    src,
    dst,
    srcPort: t.readUInt16BE(0),
    dstPort: t.readUInt16BE(2),
    seq: t.readUInt32BE(4),
    syn: (flags & 0x02) !== 0,
    fin: (flags & 0x01) !== 0,
    rst: (flags & 0x04) !== 0,
    payload: t.subarray(Math.min(dataOff, t.length)),
  };
}
