// Small request-parsing helpers shared by the routers.

function toInt(value, fallback) {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  return Number.isInteger(n) ? n : NaN;
}

function badRequest(res, message) {
  return res.status(400).json({ error: message });
}

function notFound(res, what, id) {
  return res.status(404).json({ error: `${what} ${id} not found` });
}

// Returns a clean record or a string describing the first problem.
function donutFromBody(body) {
  if (!body || typeof body.name !== 'string' || body.name.trim() === '') return 'name is required';
  if (!Number.isInteger(body.price_cents) || body.price_cents <= 0) return 'price_cents must be a positive integer';
  const stock = body.stock === undefined ? 0 : body.stock;
  if (!Number.isInteger(stock) || stock < 0) return 'stock must be a non-negative integer';
  if (!Number.isInteger(body.shop_id)) return 'shop_id is required';
  return { name: body.name.trim(), price_cents: body.price_cents, stock, shop_id: body.shop_id };
}

function shopFromBody(body) {
  if (!body || typeof body.name !== 'string' || body.name.trim() === '') return 'name is required';
  if (typeof body.city !== 'string' || body.city.trim() === '') return 'city is required';
  const opens = body.opens_at === undefined ? '07:00' : body.opens_at;
  if (!/^\d\d:\d\d$/.test(opens)) return 'opens_at must look like HH:MM';
  return { name: body.name.trim(), city: body.city.trim(), opens_at: opens };
}

function employeeFromBody(body) {
  if (!body || typeof body.name !== 'string' || body.name.trim() === '') return 'name is required';
  if (!['baker', 'cashier', 'manager'].includes(body.role)) return 'role must be baker, cashier or manager';
  if (!Number.isInteger(body.shop_id)) return 'shop_id is required';
  return { name: body.name.trim(), role: body.role, shop_id: body.shop_id };
}

module.exports = { toInt, badRequest, notFound, donutFromBody, shopFromBody, employeeFromBody };
