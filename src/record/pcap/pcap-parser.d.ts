/** Types for pcap-parser 0.2 (it ships none): a classic-pcap reader emitting one event per packet. */
declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';
  import type { Readable } from 'node:stream';

  export interface GlobalHeader {
    magicNumber: number;
    majorVersion: number;
    minorVersion: number;
    gmtOffset: number;
    timestampAccuracy: number;
    snapshotLength: number;
    linkLayerType: number;
  }
  export interface PacketHeader {
    timestampSeconds: number;
    timestampMicroseconds: number;
    capturedLength: number;
    originalLength: number;
  }
  export interface Packet {
    header: PacketHeader;
    data: Buffer;
  }
  export interface Parser extends EventEmitter {
    /** Bytes received but not yet parsed (a partial packet at end of file). */
    buffer: Buffer | null;
  }
  export function parse(input: string | Readable): Parser;
}
