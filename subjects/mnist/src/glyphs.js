'use strict';
// 5x7 bitmap digits used to synthesize the training set (and by the regression client to draw
// test digits). '#' is ink.
const GLYPHS = [
  ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  ['#####', '...#.', '..#..', '...#.', '....#', '#...#', '.###.'],
  ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  ['..##.', '.#...', '#....', '####.', '#...#', '#...#', '.###.'],
  ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
  ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  ['.###.', '#...#', '#...#', '.####', '....#', '...#.', '.##..'],
];

const SIZE = 28;
const SCALE = 3;

// Draws digit d into a 28x28 grey image (0..255), shifted by (dx, dy), optionally with noise
// from the given random source.
function renderDigit(d, dx = 0, dy = 0, random = null, noise = 0) {
  const pixels = new Array(SIZE * SIZE).fill(0);
  const left = 6 + dx;
  const top = 3 + dy;
  GLYPHS[d].forEach((row, gy) => {
    for (let gx = 0; gx < row.length; gx++) {
      if (row[gx] !== '#') continue;
      for (let sy = 0; sy < SCALE; sy++) {
        for (let sx = 0; sx < SCALE; sx++) {
          const x = left + gx * SCALE + sx;
          const y = top + gy * SCALE + sy;
          if (x >= 0 && x < SIZE && y >= 0 && y < SIZE) pixels[y * SIZE + x] = 255;
        }
      }
    }
  });
  if (random && noise > 0) {
    for (let i = 0; i < pixels.length; i++) {
      const v = pixels[i] + (random() - 0.5) * 2 * noise;
      pixels[i] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return pixels;
}

module.exports = { GLYPHS, SIZE, renderDigit };
