// Deterministic test images for the client: coloured rectangles on dim noise, as PPM or BMP.
const COLOURS = { red: [230, 20, 25], green: [20, 220, 30], blue: [25, 30, 235], yellow: [235, 225, 20], cyan: [20, 225, 230], magenta: [225, 25, 230] };

function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// rects: [{ label, x, y, w, h }] in pixels
export function drawScene(width, height, rects, seed) {
  const random = seededRandom(seed);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = 40 + Math.floor(random() * 70);
  for (const r of rects) {
    const [cr, cg, cb] = COLOURS[r.label];
    for (let y = r.y; y < r.y + r.h; y++) {
      for (let x = r.x; x < r.x + r.w; x++) {
        const i = (y * width + x) * 3;
        const jitter = Math.floor(random() * 20) - 10;
        rgb[i] = Math.max(0, Math.min(255, cr + jitter));
        rgb[i + 1] = Math.max(0, Math.min(255, cg + jitter));
        rgb[i + 2] = Math.max(0, Math.min(255, cb + jitter));
      }
    }
  }
  return { width, height, rgb };
}

export function encodePpm({ width, height, rgb }) {
  return Buffer.concat([Buffer.from(`P6\n# objdetect client\n${width} ${height}\n255\n`), Buffer.from(rgb)]);
}

export function encodeBmp({ width, height, rgb }) {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const buf = Buffer.alloc(54 + stride * height);
  buf.write('BM', 0, 'ascii');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(54, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(width, 18);
  buf.writeInt32LE(height, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(24, 28);
  buf.writeUInt32LE(stride * height, 34);
  for (let y = 0; y < height; y++) {
    const row = 54 + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      buf[row + x * 3] = rgb[s + 2];
      buf[row + x * 3 + 1] = rgb[s + 1];
      buf[row + x * 3 + 2] = rgb[s];
    }
  }
  return buf;
}
