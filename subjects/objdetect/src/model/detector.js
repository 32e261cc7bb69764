import crypto from 'node:crypto';
import { LABELS } from '../labels.js';
import { decodeImage } from '../image/decode.js';
import { avgPool, boxSum, conv3x3Relu, integralImage, nonMaxSuppression } from './layers.js';

const SEED = 0x0bd37;
const FEATURES = 12;
const POOL = 4;
const WINDOW_CELLS = [8, 12, 16, 24, 32, 48, 64];
const ASPECTS = [[1, 1], [2, 1], [1, 2]];
const MIN_SCORE = 0.7;
const NMS_IOU = 0.4;
const MAX_BOXES = 20;
const CACHE_LIMIT = 64;

function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Backbone: a fixed random-feature 3x3 conv (an untrained feature extractor). Head: a 1x1
// conv per class from the pooled colour channels (seeded around the class's colour prototype)
// and the backbone features (small seeded weights).
export function createWeights(seed = SEED) {
  const random = seededRandom(seed);
  const sym = (scale) => (random() * 2 - 1) * scale;
  const conv = Float32Array.from({ length: FEATURES * 3 * 9 }, () => sym(0.4));
  const convBias = Float32Array.from({ length: FEATURES }, () => sym(0.05));
  const head = LABELS.map((label) => ({
    colour: label.rgb.map((v) => 2 * v - 1 + sym(0.03)),
    features: Array.from({ length: FEATURES }, () => sym(0.002)),
    // an exact prototype colour activates to 0.75; every other saturated colour stays at 0
    bias: label.rgb.reduce((a, b) => a + b, 0) - 0.75,
  }));
  return { seed, conv, convBias, head };
}

export class Detector {
  #weights;

  constructor(weights) {
    this.#weights = weights;
    this.inferenceCount = 0;
    this.cache = new Map();
  }

  // Answers repeated images from the cache; only new images run the network.
  async detect(buffer) {
    const hash = crypto.createHash('sha256').update(buffer).digest('hex');
    const hit = this.cache.get(hash);
    if (hit) return { ...hit, hash, cached: true };
    const image = decodeImage(buffer);
    const boxes = this.#run(image);
    this.inferenceCount += 1;
    const result = { width: image.width, height: image.height, boxes };
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value);
    this.cache.set(hash, result);
    return { ...result, hash, cached: false };
  }

  #run({ width, height, rgb }) {
    const w = this.#weights;
    const plane = width * height;
    const input = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) {
      input[i] = rgb[i * 3] / 255;
      input[plane + i] = rgb[i * 3 + 1] / 255;
      input[2 * plane + i] = rgb[i * 3 + 2] / 255;
    }
    // the backbone runs at half resolution: a 4x smaller bill for the same receptive field
    const half = avgPool(input, 3, width, height, 2);
    const convOut = conv3x3Relu(half.data, 3, half.width, half.height, w.conv, w.convBias, FEATURES);
    const features = avgPool(convOut, FEATURES, half.width, half.height, POOL / 2);
    const colour = avgPool(half.data, 3, half.width, half.height, POOL / 2);
    const gw = colour.width;
    const gh = colour.height;
    const cells = gw * gh;
    const candidates = [];
    w.head.forEach((unit, labelIndex) => {
      const map = new Float32Array(cells);
      for (let i = 0; i < cells; i++) {
        let z = -unit.bias;
        for (let c = 0; c < 3; c++) z += unit.colour[c] * colour.data[c * cells + i];
        for (let f = 0; f < FEATURES; f++) z += unit.features[f] * features.data[f * cells + i];
        map[i] = z > 0 ? z : 0;
      }
      scanWindows(integralImage(map, gw, gh), gw, gh, LABELS[labelIndex].name, candidates);
    });
    return nonMaxSuppression(candidates, NMS_IOU, MAX_BOXES).map((b) => ({
      label: b.label, score: Math.round(b.score * 1000) / 1000,
      x: b.x * POOL, y: b.y * POOL, w: b.w * POOL, h: b.h * POOL,
    }));
  }

  stats() {
    return { inferences: this.inferenceCount, cachedImages: this.cache.size };
  }
}

// Scores every window against the ring around it: an object fills its box and not the border.
function scanWindows(sum, gw, gh, label, out) {
  for (const size of WINDOW_CELLS) {
    for (const [ax, ay] of ASPECTS) {
      const ww = size * ax;
      const wh = size * ay;
      if (ww > gw || wh > gh) continue;
      // a fixed 2-cell (8 px) stride: boxes land within 4 px of the object's edges
      const stride = 2;
      const ring = Math.max(1, Math.floor(size / 4));
      for (let y = 0; y + wh <= gh; y += stride) {
        for (let x = 0; x + ww <= gw; x += stride) {
          const inside = boxSum(sum, gw, x, y, x + ww, y + wh) / (ww * wh);
          if (inside < 0.05) continue;
          const ox0 = Math.max(0, x - ring);
          const oy0 = Math.max(0, y - ring);
          const ox1 = Math.min(gw, x + ww + ring);
          const oy1 = Math.min(gh, y + wh + ring);
          const outerArea = (ox1 - ox0) * (oy1 - oy0) - ww * wh;
          const border = outerArea > 0 ? (boxSum(sum, gw, ox0, oy0, ox1, oy1) - inside * ww * wh) / outerArea : 0;
          // a clean object gives a contrast of about 0.45
          const score = 1 / (1 + Math.exp(-12 * (2.5 * (inside - border) - 0.5)));
          if (score >= MIN_SCORE) out.push({ label, score, x, y, w: ww, h: wh });
        }
      }
    }
  }
}

// One detector per process: its cache and counters outlive requests.
export const detector = new Detector(createWeights());
