'use strict';
const crypto = require('node:crypto');
const { promisify } = require('node:util');
const predictions = require('./predictions.js');
const { INPUT, predict } = require('./model.js');
const { decodePgm } = require('./pgm.js');
const { HttpError } = require('./router.js');

const insertPrediction = promisify(predictions.insertPrediction);
const listPredictions = promisify(predictions.listPredictions);
const findPrediction = promisify(predictions.findPrediction);
const deletePrediction = promisify(predictions.deletePrediction);
const correctLabel = promisify(predictions.correctLabel);

const CACHE_LIMIT = 1000;

// Set once by init() at start-up.
let db = null;
let model = null;
let modelInfo = null;

// Served-since-start-up counters and the memo of predictions by input hash.
let predictionCount = 0;
let feedbackCount = 0;
const digitCounts = new Array(10).fill(0);
const cache = new Map();

function init(database, loadedModel) {
  db = database;
  model = loadedModel;
  const checksum = crypto.createHash('sha256').update(JSON.stringify([model.w1, model.b1, model.w2, model.b2])).digest('hex');
  modelInfo = { layers: model.layers, seed: model.seed, parameters: model.w1.length + model.b1.length + model.w2.length + model.b2.length, checksum };
}

function readPixels(body) {
  if (typeof body.pgm === 'string') {
    try {
      return decodePgm(body.pgm);
    } catch (err) {
      throw new HttpError(400, err.message);
    }
  }
  const { pixels } = body;
  if (!Array.isArray(pixels) || pixels.length !== INPUT || !pixels.every((p) => Number.isFinite(p) && p >= 0 && p <= 255)) {
    throw new HttpError(400, `pixels must be an array of ${INPUT} numbers from 0 to 255 (or send pgm: base64)`);
  }
  return pixels;
}

function parseId(req) {
  const id = Number(req.params.id);
  if (!Number.isInteger(id) || id < 1) throw new HttpError(400, 'id must be a positive integer');
  return id;
}

async function postPredict(req, res) {
  const pixels = readPixels(req.body);
  const inputHash = crypto.createHash('sha1').update(Uint8Array.from(pixels, (p) => Math.round(p))).digest('hex');
  let result = cache.get(inputHash);
  const cached = result !== undefined;
  if (!cached) {
    result = predict(model, pixels);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value);
    cache.set(inputHash, result);
  }
  predictionCount++;
  digitCounts[result.digit]++;
  const confidence = result.probabilities[result.digit];
  const id = await insertPrediction(db, { inputHash, digit: result.digit, confidence, source: req.body.pgm ? 'pgm' : 'pixels' });
  res.statusCode = 201;
  return { id, digit: result.digit, confidence, probabilities: result.probabilities, cached };
}

async function getPredictions(req) {
  const limit = Number(req.query.get('limit') ?? 10);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new HttpError(400, 'limit must be an integer from 1 to 100');
  const digitParam = req.query.get('digit');
  const digit = digitParam === null ? null : Number(digitParam);
  if (digit !== null && !(Number.isInteger(digit) && digit >= 0 && digit <= 9)) throw new HttpError(400, 'digit must be 0..9');
  const items = await listPredictions(db, { limit, digit });
  return { count: items.length, items };
}

async function getPrediction(req) {
  const prediction = await findPrediction(db, parseId(req));
  if (!prediction) throw new HttpError(404, `no prediction ${req.params.id}`);
  return prediction;
}

async function removePrediction(req) {
  const existed = await deletePrediction(db, parseId(req));
  if (!existed) throw new HttpError(404, `no prediction ${req.params.id}`);
  return { deleted: Number(req.params.id) };
}

async function postFeedback(req, res) {
  const { predictionId, label, note = null } = req.body;
  if (!Number.isInteger(predictionId) || predictionId < 1) throw new HttpError(400, 'predictionId must be a positive integer');
  if (!Number.isInteger(label) || label < 0 || label > 9) throw new HttpError(400, 'label must be a digit 0..9');
  const outcome = await correctLabel(db, predictionId, label, note);
  if (!outcome) throw new HttpError(404, `no prediction ${predictionId}`);
  feedbackCount++;
  res.statusCode = 201;
  return { predictionId, ...outcome, agreed: outcome.predicted === label };
}

async function getStats() {
  return { predictions: predictionCount, feedback: feedbackCount, cacheEntries: cache.size, byDigit: [...digitCounts] };
}

async function getModel() {
  return modelInfo;
}

module.exports = { init, postPredict, getPredictions, getPrediction, removePrediction, postFeedback, getStats, getModel };
