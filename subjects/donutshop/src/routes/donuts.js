// /donuts: the catalogue, a read-through cache for single donuts, and ordering.
const express = require('express');
const { stmts, listDonuts } = require('../db');
const { toInt, badRequest, notFound, donutFromBody } = require('../validate');

const router = express.Router();

// Single donuts are looked up far more often than they change.
const donutCache = new Map();
// Donuts sold since the server started; reported by GET /stats.
let ordersServed = 0;

function getOrdersServed() {
  return ordersServed;
}

function cachedDonuts() {
  return donutCache.size;
}

router.get('/', (req, res) => {
  const shop = toInt(req.query.shop, undefined);
  const maxPrice = toInt(req.query.maxPrice, undefined);
  const limit = toInt(req.query.limit, 50);
  if (Number.isNaN(shop) || Number.isNaN(maxPrice) || Number.isNaN(limit) || limit < 1) {
    return badRequest(res, 'shop, maxPrice and limit must be integers');
  }
  const donuts = listDonuts({ shop, maxPrice, limit });
  res.json({ count: donuts.length, donuts });
});

router.get('/:id', (req, res) => {
  const id = Number(req.params.id);
  if (donutCache.has(id)) {
    return res.json(donutCache.get(id));
  }
  const donut = stmts.donutById.get(id);
  if (!donut) return notFound(res, 'donut', req.params.id);
  donutCache.set(id, donut);
  res.json(donut);
});

router.post('/', (req, res) => {
  const donut = donutFromBody(req.body);
  if (typeof donut === 'string') return badRequest(res, donut);
  const info = stmts.insertDonut.run(donut);
  res.status(201).json({ id: Number(info.lastInsertRowid), ...donut });
});

router.put('/:id', (req, res) => {
  const id = Number(req.params.id);
  const donut = donutFromBody(req.body);
  if (typeof donut === 'string') return badRequest(res, donut);
  const info = stmts.updateDonut.run({ ...donut, id });
  if (info.changes === 0) return notFound(res, 'donut', req.params.id);
  donutCache.delete(id);
  res.json({ id, ...donut });
});

router.delete('/:id', (req, res) => {
  const id = Number(req.params.id);
  const info = stmts.deleteDonut.run(id);
  donutCache.delete(id);
  if (info.changes === 0) return notFound(res, 'donut', req.params.id);
  res.status(204).end();
});

// Takes `quantity` donuts out of stock, but only when that many are left.
router.post('/:id/order', (req, res) => {
  const id = Number(req.params.id);
  const quantity = req.body && req.body.quantity;
  if (!Number.isInteger(quantity) || quantity < 1) return badRequest(res, 'quantity must be a positive integer');
  const info = stmts.takeStock.run(quantity, id, quantity);
  if (info.changes === 0) {
    const donut = stmts.donutById.get(id);
    if (!donut) return notFound(res, 'donut', req.params.id);
    return res.status(409).json({ error: 'not enough stock', stock: donut.stock });
  }
  ordersServed += quantity;
  donutCache.delete(id);
  const donut = stmts.donutById.get(id);
  res.json({ ordered: quantity, remaining: donut.stock });
});

module.exports = { router, getOrdersServed, cachedDonuts };
