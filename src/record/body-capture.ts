/**
 * A bounded copy of a body that is streaming through the proxy. The proxy itself never buffers
 * (http-proxy pipes with backpressure); this is the one extra copy the HAR needs. When the length
 * is announced (Content-Length) the copy goes into one preallocated buffer, so even a large upload
 * is held once and never concatenated; past `limit` bytes the copy stops and the body is marked
 * truncated while the client and server still see every byte.
 */
import type { CapturedBody } from './har-entry.js';

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

export class BodyCapture {
  private fixed: Buffer | undefined;
  private chunks: Buffer[] = [];
  private kept = 0;
  private total = 0;

  constructor(
    private readonly limit: number,
    contentLength?: string,
  ) {
    const n = contentLength === undefined ? NaN : Number(contentLength);
    if (Number.isSafeInteger(n) && n > 0) this.fixed = Buffer.allocUnsafe(Math.min(n, limit));
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const room = (this.fixed ? this.fixed.length : this.limit) - this.kept;
    if (room <= 0) return;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    if (this.fixed) part.copy(this.fixed, this.kept);
    // Without a length, keep the chunk itself (no copy); it is joined once at the end.
    else this.chunks.push(part);
    this.kept += part.length;
  }

  /** More bytes arrived than were kept. */
  get truncatedSoFar(): boolean {
    return this.total > this.kept;
  }

  /** The bytes kept so far, without ending the capture (for replaying a request). */
  peek(): Buffer {
    if (this.fixed) return this.fixed.subarray(0, this.kept);
    return Buffer.concat(this.chunks, this.kept);
  }

  get size(): number {
    return this.total;
  }

  result(): CapturedBody {
    let bytes: Buffer;
    if (this.fixed) bytes = this.kept === this.fixed.length ? this.fixed : this.fixed.subarray(0, this.kept);
    else bytes = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.kept);
    this.chunks = [];
    return { bytes, size: this.total, truncated: this.total > this.kept };
  }
}
