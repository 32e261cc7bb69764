'use strict';
const { SIZE } = require('./glyphs.js');

// Reads a base64 PGM image (binary P5 or ASCII P2, up to 1024x1024) and resamples it to the
// model's 28x28 grid with nearest-neighbour sampling; values are scaled to 0..255.
function decodePgm(base64) {
  const bytes = Buffer.from(base64, 'base64');
  let pos = 0;
  function token() {
    for (;;) {
      while (pos < bytes.length && /\s/.test(String.fromCharCode(bytes[pos]))) pos++;
      if (bytes[pos] !== 0x23) break; // '#': comment to end of line
      while (pos < bytes.length && bytes[pos] !== 0x0a) pos++;
    }
    const start = pos;
    while (pos < bytes.length && !/\s/.test(String.fromCharCode(bytes[pos]))) pos++;
    return bytes.subarray(start, pos).toString('ascii');
  }
  const magic = token();
  if (magic !== 'P5' && magic !== 'P2') throw new Error(`not a PGM image (magic ${JSON.stringify(magic)})`);
  const width = Number(token());
  const height = Number(token());
  const maxval = Number(token());
  if (!(width > 0 && height > 0 && width <= 1024 && height <= 1024 && maxval > 0 && maxval < 256)) {
    throw new Error('PGM header out of range');
  }
  let values;
  if (magic === 'P5') {
    pos++; // the single whitespace after maxval
    values = bytes.subarray(pos, pos + width * height);
    if (values.length < width * height) throw new Error('PGM data is truncated');
  } else {
    values = Array.from({ length: width * height }, () => Number(token()));
    if (values.some((v) => !Number.isFinite(v))) throw new Error('PGM data is truncated');
  }
  const out = new Array(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const sx = Math.floor((x * width) / SIZE);
      const sy = Math.floor((y * height) / SIZE);
      out[y * SIZE + x] = Math.round((values[sy * width + sx] * 255) / maxval);
    }
  }
  return out;
}

function encodePgm(pixels, width = SIZE, height = SIZE) {
  return Buffer.concat([Buffer.from(`P5\n${width} ${height}\n255\n`), Buffer.from(pixels)]).toString('base64');
}

module.exports = { decodePgm, encodePgm };
