'use strict';
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const { promisify } = require('node:util');
const { Router } = require('./router.js');
const { openDatabase } = require('./db.js');
const { loadOrCreateModel } = require('./model.js');
const handlers = require('./handlers.js');

const PORT = Number(process.env.PORT || 3106);
const DATA_DIR = path.join(__dirname, '..', 'data');

const router = new Router()
  .post('/predict', handlers.postPredict)
  .get('/predictions', handlers.getPredictions)
  .get('/predictions/:id', handlers.getPrediction)
  .delete('/predictions/:id', handlers.removePrediction)
  .post('/feedback', handlers.postFeedback)
  .get('/stats', handlers.getStats)
  .get('/model', handlers.getModel);

async function main() {
  fs.mkdirSync(DATA_DIR, { recursive: true });
  const model = loadOrCreateModel(path.join(DATA_DIR, 'model.json'));
  const db = await promisify(openDatabase)(path.join(DATA_DIR, 'predictions.db'));
  handlers.init(db, model);
  const server = http.createServer((req, res) => router.handle(req, res));
  await promisify(server.listen.bind(server))(PORT);
  console.log(`mnist listening on http://localhost:${server.address().port}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
