// Decoders for the two uncompressed formats the service accepts: binary PPM (P6, maxval 255)
// and 24-bit bottom-up BMP. Both return { width, height, rgb } with rgb a Uint8Array of
// width*height*3 bytes, top row first.

export class ImageFormatError extends Error {}

const MAX_PIXELS = 4096 * 4096;

export function decodeImage(buf) {
  if (buf.length >= 2 && buf[0] === 0x50 && buf[1] === 0x36) return decodePpm(buf);
  if (buf.length >= 2 && buf[0] === 0x42 && buf[1] === 0x4d) return decodeBmp(buf);
  throw new ImageFormatError('unsupported image: send binary PPM (P6) or 24-bit BMP');
}

function decodePpm(buf) {
  let pos = 2;
  const fields = [];
  while (fields.length < 3) {
    while (pos < buf.length && (buf[pos] === 0x20 || buf[pos] === 0x0a || buf[pos] === 0x0d || buf[pos] === 0x09)) pos++;
    if (buf[pos] === 0x23) {
      while (pos < buf.length && buf[pos] !== 0x0a) pos++;
      continue;
    }
    const start = pos;
    while (pos < buf.length && buf[pos] >= 0x30 && buf[pos] <= 0x39) pos++;
    if (start === pos) throw new ImageFormatError('PPM header is malformed');
    fields.push(Number(buf.subarray(start, pos).toString('ascii')));
  }
  pos++; // one whitespace byte separates the header from the raster
  const [width, height, maxval] = fields;
  if (maxval !== 255) throw new ImageFormatError('only 8-bit PPM (maxval 255) is supported');
  checkSize(width, height);
  const length = width * height * 3;
  if (buf.length - pos < length) throw new ImageFormatError(`PPM raster truncated: ${buf.length - pos} of ${length} bytes`);
  return { width, height, rgb: new Uint8Array(buf.buffer, buf.byteOffset + pos, length) };
}

function decodeBmp(buf) {
  if (buf.length < 54) throw new ImageFormatError('BMP header truncated');
  const offset = buf.readUInt32LE(10);
  const width = buf.readInt32LE(18);
  const rawHeight = buf.readInt32LE(22);
  const bpp = buf.readUInt16LE(28);
  const compression = buf.readUInt32LE(30);
  if (bpp !== 24 || compression !== 0) throw new ImageFormatError('only uncompressed 24-bit BMP is supported');
  const height = Math.abs(rawHeight);
  checkSize(width, height);
  const stride = Math.ceil((width * 3) / 4) * 4;
  if (buf.length < offset + stride * height) throw new ImageFormatError('BMP raster truncated');
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const srcRow = offset + (rawHeight > 0 ? height - 1 - y : y) * stride;
    for (let x = 0; x < width; x++) {
      const s = srcRow + x * 3;
      const d = (y * width + x) * 3;
      rgb[d] = buf[s + 2];
      rgb[d + 1] = buf[s + 1];
      rgb[d + 2] = buf[s];
    }
  }
  return { width, height, rgb };
}

function checkSize(width, height) {
  if (!(width >= 32 && height >= 32 && width * height <= MAX_PIXELS)) {
    throw new ImageFormatError(`image size ${width}x${height} out of range (32x32 to 16 Mpixel)`);
  }
}
