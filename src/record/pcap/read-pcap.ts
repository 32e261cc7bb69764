/**
 * Reads a classic pcap file with pcap-parser into timestamped link-layer frames. Refuses pcapng
 * with the conversion command; accepts nanosecond pcap by relabelling it (pcap-parser knows only
 * the microsecond magic). A file cut short keeps every complete packet and says what was dropped.
 */
import { openSync, readSync, closeSync, createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import pcap from 'pcap-parser';
import { UserError } from '../../model/errors.js';

export interface Frame {
  /** Capture time in ms since the epoch (fractional). */
  ts: number;
  data: Buffer;
  /** The frame was cut by the capture's snap length. */
  cut: boolean;
}

export interface PcapFile {
  linkType: number;
  frames: Frame[];
  warnings: string[];
}

const PCAPNG = 0x0a0d0d0a;
const NANO_BE = 'a1b23c4d';
const NANO_LE = '4d3cb2a1';

export async function readPcap(file: string): Promise<PcapFile> {
  const head = readHead(file);
  if (head.length < 24) throw new UserError(`${file}: too short to be a pcap file (${head.length} bytes); capture again with tcpdump -w`);
  if (head.readUInt32BE(0) === PCAPNG) {
    throw new UserError(`${file}: is pcapng, edgstr reads classic pcap; convert with \`tcpdump -r ${file} -w out.pcap\` or \`tshark -F pcap -r ${file} -w out.pcap\``);
  }
  const magic = head.toString('hex', 0, 4);
  const nano = magic === NANO_BE || magic === NANO_LE;
  if (!nano && magic !== 'a1b2c3d4' && magic !== 'd4c3b2a1') {
    throw new UserError(`${file}: not a pcap file (magic ${magic}); give a capture written by tcpdump -w`);
  }
  const input = createReadStream(file);
  const source = nano ? input.pipe(relabelNano(magic === NANO_BE)) : input;
  const parser = pcap.parse(source);
  const frames: Frame[] = [];
  let linkType = -1;
  const result = await new Promise<PcapFile>((resolve, reject) => {
    parser.on('globalHeader', (h: pcap.GlobalHeader) => {
      linkType = h.linkLayerType;
    });
    parser.on('packet', (p: pcap.Packet) => {
      const frac = nano ? p.header.timestampMicroseconds / 1e6 : p.header.timestampMicroseconds / 1e3;
      frames.push({ ts: p.header.timestampSeconds * 1000 + frac, data: p.data, cut: p.header.capturedLength < p.header.originalLength });
    });
    parser.on('error', (err: Error) => reject(new UserError(`${file}: cannot read pcap (${err.message})`)));
    parser.on('end', () => {
      const warnings: string[] = [];
      const rest = parser.buffer?.length ?? 0;
      if (rest > 0) warnings.push(`${file}: the file ends inside a packet (${rest} bytes of a partial packet dropped); the ${frames.length} complete packets were used`);
      const cut = frames.filter((f) => f.cut).length;
      if (cut > 0) warnings.push(`${file}: ${cut} packets were cut by the capture's snap length; capture with \`tcpdump -s 0\` to keep whole packets`);
      resolve({ linkType, frames, warnings });
    });
  });
  if (result.linkType < 0) throw new UserError(`${file}: the pcap header is incomplete; capture again`);
  return result;
}

function readHead(file: string): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code})`}; give --pcap a capture file`);
  }
  try {
    const buf = Buffer.alloc(24);
    const n = readSync(fd, buf, 0, 24, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Rewrites the nanosecond magic to the microsecond one; timestamps are rescaled by the reader. */
function relabelNano(bigEndian: boolean): Transform {
  let first = true;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (first && chunk.length >= 4) {
        first = false;
        chunk = Buffer.from(chunk);
        chunk.write(bigEndian ? 'a1b2c3d4' : 'd4c3b2a1', 0, 'hex');
      }
      cb(null, chunk);
    },
  });
}
