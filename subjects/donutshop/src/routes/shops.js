// /shops: shop CRUD. A shop's detail view joins in how many donuts it sells.
const express = require('express');
const { stmts, listShops, deleteShopAndStaff } = require('../db');
const { badRequest, notFound, shopFromBody } = require('../validate');

const router = express.Router();

router.get('/', (req, res) => {
  const shops = listShops(req.query.city);
  res.json({ count: shops.length, shops });
});

router.get('/:id', (req, res) => {
  const shop = stmts.shopWithDonuts.get(Number(req.params.id));
  if (!shop) return notFound(res, 'shop', req.params.id);
  res.json(shop);
});

router.post('/', (req, res) => {
  const shop = shopFromBody(req.body);
  if (typeof shop === 'string') return badRequest(res, shop);
  const info = stmts.insertShop.run(shop);
  res.status(201).json({ id: Number(info.lastInsertRowid), ...shop });
});

// Only updates a shop that exists; the response is the row as stored.
router.put('/:id', (req, res) => {
  const id = Number(req.params.id);
  const shop = shopFromBody(req.body);
  if (typeof shop === 'string') return badRequest(res, shop);
  const info = stmts.updateShop.run({ ...shop, id });
  if (info.changes === 0) return notFound(res, 'shop', req.params.id);
  res.json(stmts.shopById.get(id));
});

router.delete('/:id', (req, res) => {
  const removed = deleteShopAndStaff(Number(req.params.id));
  if (removed === 0) return notFound(res, 'shop', req.params.id);
  res.status(204).end();
});

module.exports = { router };
