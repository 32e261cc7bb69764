'use strict';
const fs = require('node:fs');
const { renderDigit } = require('./glyphs.js');

const INPUT = 784;
const HIDDEN = 64;
const OUTPUT = 10;
const SEED = 20240611;

// mulberry32: small, fast and the same on every platform, so the weights are reproducible.
function seededRandom(seed) {
  let a = seed >>> 0;
  return function random() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function initialWeights(random) {
  const layer = (rows, cols) => {
    const limit = Math.sqrt(6 / (rows + cols));
    return Array.from({ length: rows * cols }, () => (random() * 2 - 1) * limit);
  };
  return {
    w1: layer(HIDDEN, INPUT), b1: new Array(HIDDEN).fill(0),
    w2: layer(OUTPUT, HIDDEN), b2: new Array(OUTPUT).fill(0),
  };
}

function forward(model, x) {
  const hidden = new Array(HIDDEN);
  for (let h = 0; h < HIDDEN; h++) {
    let sum = model.b1[h];
    const row = h * INPUT;
    for (let i = 0; i < INPUT; i++) sum += model.w1[row + i] * x[i];
    hidden[h] = sum > 0 ? sum : 0;
  }
  const logits = new Array(OUTPUT);
  for (let o = 0; o < OUTPUT; o++) {
    let sum = model.b2[o];
    for (let h = 0; h < HIDDEN; h++) sum += model.w2[o * HIDDEN + h] * hidden[h];
    logits[o] = sum;
  }
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return { hidden, probabilities: exps.map((e) => e / total) };
}

// A few epochs of plain SGD on shifted, noisy renderings of the 5x7 glyphs: enough for the
// model to read clean digits, deterministic because every random draw comes from the seed.
function train(seed = SEED, epochs = 4, rate = 0.02) {
  const random = seededRandom(seed);
  const model = initialWeights(random);
  const samples = [];
  for (let d = 0; d < 10; d++) {
    for (let k = 0; k < 24; k++) {
      const dx = Math.floor(random() * 5) - 2;
      const dy = Math.floor(random() * 5) - 2;
      samples.push({ x: normalize(renderDigit(d, dx, dy, random, 60)), d });
    }
  }
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = samples.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [samples[i], samples[j]] = [samples[j], samples[i]];
    }
    for (const { x, d } of samples) step(model, x, d, rate);
  }
  return model;
}

function step(model, x, label, rate) {
  const { hidden, probabilities } = forward(model, x);
  const dOut = probabilities.map((p, o) => p - (o === label ? 1 : 0));
  const dHidden = new Array(HIDDEN).fill(0);
  for (let o = 0; o < OUTPUT; o++) {
    for (let h = 0; h < HIDDEN; h++) {
      dHidden[h] += model.w2[o * HIDDEN + h] * dOut[o];
      model.w2[o * HIDDEN + h] -= rate * dOut[o] * hidden[h];
    }
    model.b2[o] -= rate * dOut[o];
  }
  for (let h = 0; h < HIDDEN; h++) {
    if (hidden[h] <= 0) continue;
    const g = dHidden[h];
    const row = h * INPUT;
    for (let i = 0; i < INPUT; i++) if (x[i] !== 0) model.w1[row + i] -= rate * g * x[i];
    model.b1[h] -= rate * g;
  }
}

function normalize(pixels) {
  return pixels.map((p) => p / 255);
}

const round = (v) => Math.round(v * 1e5) / 1e5;

// The weights file is written once, at the first start, and only read afterwards.
function loadOrCreateModel(file) {
  if (!fs.existsSync(file)) {
    const model = train();
    const json = { layers: [INPUT, HIDDEN, OUTPUT], seed: SEED,
      w1: model.w1.map(round), b1: model.b1.map(round), w2: model.w2.map(round), b2: model.b2.map(round) };
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(json));
    fs.renameSync(`${file}.tmp`, file);
  }
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function predict(model, pixels) {
  const { probabilities } = forward(model, normalize(pixels));
  let digit = 0;
  for (let o = 1; o < OUTPUT; o++) if (probabilities[o] > probabilities[digit]) digit = o;
  return { digit, probabilities: probabilities.map((p) => Math.round(p * 1e4) / 1e4) };
}

module.exports = { INPUT, loadOrCreateModel, predict, seededRandom };
