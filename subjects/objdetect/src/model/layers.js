// The building blocks of the detector: a 3x3 convolution, average pooling, integral images
// for constant-time window sums, and non-maximum suppression.

// 3x3 convolution with zero padding over planar float input (channels x height x width),
// followed by ReLU. weights: [out][in][3][3] flattened; bias: [out].
export function conv3x3Relu(input, inChannels, width, height, weights, bias, outChannels) {
  const plane = width * height;
  const out = new Float32Array(outChannels * plane);
  for (let o = 0; o < outChannels; o++) {
    const dst = out.subarray(o * plane, (o + 1) * plane);
    dst.fill(bias[o]);
    for (let c = 0; c < inChannels; c++) {
      const src = input.subarray(c * plane, (c + 1) * plane);
      const w = (o * inChannels + c) * 9;
      for (let ky = -1; ky <= 1; ky++) {
        for (let kx = -1; kx <= 1; kx++) {
          const k = weights[w + (ky + 1) * 3 + (kx + 1)];
          const y0 = Math.max(0, -ky);
          const y1 = Math.min(height, height - ky);
          const x0 = Math.max(0, -kx);
          const x1 = Math.min(width, width - kx);
          for (let y = y0; y < y1; y++) {
            const row = y * width;
            const srcRow = (y + ky) * width + kx;
            for (let x = x0; x < x1; x++) dst[row + x] += k * src[srcRow + x];
          }
        }
      }
    }
    for (let i = 0; i < plane; i++) if (dst[i] < 0) dst[i] = 0;
  }
  return out;
}

// Average pooling by an integer factor; the ragged border is dropped.
export function avgPool(input, channels, width, height, factor) {
  const ow = Math.floor(width / factor);
  const oh = Math.floor(height / factor);
  const out = new Float32Array(channels * ow * oh);
  const scale = 1 / (factor * factor);
  for (let c = 0; c < channels; c++) {
    const src = c * width * height;
    const dst = c * ow * oh;
    for (let y = 0; y < oh * factor; y++) {
      const row = src + y * width;
      const orow = dst + Math.floor(y / factor) * ow;
      for (let x = 0; x < ow * factor; x++) out[orow + Math.floor(x / factor)] += input[row + x] * scale;
    }
  }
  return { data: out, width: ow, height: oh };
}

// Summed-area table with one row/column of zero padding.
export function integralImage(plane, width, height) {
  const sum = new Float64Array((width + 1) * (height + 1));
  for (let y = 0; y < height; y++) {
    let rowSum = 0;
    for (let x = 0; x < width; x++) {
      rowSum += plane[y * width + x];
      sum[(y + 1) * (width + 1) + x + 1] = sum[y * (width + 1) + x + 1] + rowSum;
    }
  }
  return sum;
}

export function boxSum(sum, width, x0, y0, x1, y1) {
  const w = width + 1;
  return sum[y1 * w + x1] - sum[y0 * w + x1] - sum[y1 * w + x0] + sum[y0 * w + x0];
}

function intersection(a, b) {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  return ix * iy;
}

export function iou(a, b) {
  const inter = intersection(a, b);
  return inter / (a.w * a.h + b.w * b.h - inter);
}

// Greedy NMS per label: keep the best box, drop those overlapping it by more than threshold,
// and parts of an object (a box mostly inside a kept one), which IoU alone lets through.
export function nonMaxSuppression(boxes, threshold, limit) {
  const sorted = [...boxes].sort((a, b) => b.score - a.score || a.y - b.y || a.x - b.x);
  const kept = [];
  const overlaps = (k, box) => iou(k, box) > threshold || intersection(k, box) > 0.7 * Math.min(k.w * k.h, box.w * box.h);
  for (const box of sorted) {
    if (kept.some((k) => k.label === box.label && overlaps(k, box))) continue;
    kept.push(box);
    if (kept.length === limit) break;
  }
  return kept;
}
