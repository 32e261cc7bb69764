// Regression client for the donut shop: exercises every route, checks the answers, prints one
// line per request (`METHOD /path?query -> STATUS`) on stdout and exits 1 on any surprise.
const base = (process.argv[2] || `http://127.0.0.1:${process.env.PORT || 3101}`).replace(/\/$/, '');

async function call(method, path, { body, expect = 200 } = {}) {
  const url = new URL(path, base);
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  const text = await res.text();
  console.log(`${method} ${url.pathname}${url.search} -> ${res.status}`);
  if (res.status !== expect) throw new Error(`${method} ${path}: expected ${expect}, got ${res.status}: ${text}`);
  return text && (res.headers.get('content-type') || '').includes('json') ? JSON.parse(text) : text;
}

function check(cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`);
}

async function donuts() {
  const before = (await call('GET', '/stats')).ordersServed;
  const all = await call('GET', '/donuts');
  check(all.count >= 8 && all.donuts.every((d) => d.name && d.price_cents > 0), 'seeded donuts listed');
  const shop1 = await call('GET', '/donuts?shop=1&limit=2');
  check(shop1.donuts.length === 2 && shop1.donuts.every((d) => d.shop_id === 1), 'shop filter + limit');
  const cheap = await call('GET', '/donuts?maxPrice=200');
  check(cheap.count >= 1 && cheap.donuts.every((d) => d.price_cents <= 200), 'maxPrice filter');
  await call('GET', '/donuts?shop=abc', { expect: 400 });
  const glazed = await call('GET', '/donuts/1');
  check(glazed.name === 'Glazed', 'donut 1 is Glazed');
  check((await call('GET', '/donuts/1')).name === 'Glazed', 'cached donut 1 is Glazed');
  check((await call('GET', '/donuts/3')).name === 'Maple Bar', 'donut 3 is Maple Bar');
  await call('GET', '/donuts/99999', { expect: 404 });

  const a = await call('POST', '/donuts', { body: { name: 'Sprinkle Ring', price_cents: 199, stock: 10, shop_id: 1 }, expect: 201 });
  const b = await call('POST', '/donuts', { body: { name: 'Matcha Glaze', price_cents: 275, stock: 2, shop_id: 2 }, expect: 201 });
  check(a.id !== b.id && a.name === 'Sprinkle Ring', 'two new donuts');
  await call('POST', '/donuts', { body: { name: '', price_cents: 1, shop_id: 1 }, expect: 400 });
  check((await call('GET', `/donuts/${a.id}`)).price_cents === 199, 'new donut readable');
  await call('PUT', `/donuts/${a.id}`, { body: { name: 'Sprinkle Ring', price_cents: 225, stock: 10, shop_id: 1 } });
  check((await call('GET', `/donuts/${a.id}`)).price_cents === 225, 'update visible (cache invalidated)');
  const bUpdated = await call('PUT', `/donuts/${b.id}`, { body: { name: 'Matcha Glaze', price_cents: 260, stock: 2, shop_id: 3 } });
  check(bUpdated.shop_id === 3, 'donut moved to shop 3');
  await call('PUT', '/donuts/99999', { body: { name: 'Ghost', price_cents: 100, stock: 1, shop_id: 1 }, expect: 404 });

  const order = await call('POST', `/donuts/${a.id}/order`, { body: { quantity: 3 } });
  check(order.remaining === 7, 'stock went from 10 to 7');
  const tooMany = await call('POST', `/donuts/${b.id}/order`, { body: { quantity: 1000 }, expect: 409 });
  check(tooMany.stock === 2, 'stock untouched when not enough');
  await call('POST', '/donuts/99999/order', { body: { quantity: 1 }, expect: 404 });
  check((await call('GET', `/donuts/${a.id}`)).stock === 7, 'order visible in donut');
  const after = await call('GET', '/stats');
  check(after.ordersServed === before + 3, `ordersServed grew by 3 (${before} -> ${after.ordersServed})`);

  await call('DELETE', `/donuts/${a.id}`, { expect: 204 });
  await call('DELETE', `/donuts/${b.id}`, { expect: 204 });
  await call('GET', `/donuts/${a.id}`, { expect: 404 });
  await call('DELETE', `/donuts/${a.id}`, { expect: 404 });
  check((await call('GET', '/stats')).donuts === all.count, 'donut count back to where it was');
}

async function shopsAndEmployees() {
  const shops = await call('GET', '/shops');
  check(shops.count >= 3 && shops.shops[0].name === 'Glazed & Confused', 'seeded shops listed');
  const seattle = await call('GET', '/shops?city=Seattle');
  check(seattle.count === 1 && seattle.shops[0].name === 'Hole Foods', 'city filter');
  const s1 = await call('GET', '/shops/1');
  check(s1.donut_count === 3 && s1.city === 'Portland', 'shop 1 sells 3 donuts');
  check((await call('GET', '/shops/2')).donut_count === 3, 'shop 2 sells 3 donuts');
  await call('GET', '/shops/99999', { expect: 404 });

  const x = await call('POST', '/shops', { body: { name: 'Dough Re Mi', city: 'Eugene', opens_at: '06:00' }, expect: 201 });
  const y = await call('POST', '/shops', { body: { name: 'Knead More', city: 'Salem' }, expect: 201 });
  check(y.opens_at === '07:00', 'default opening time');
  const xUpdated = await call('PUT', `/shops/${x.id}`, { body: { name: 'Dough Re Mi', city: 'Bend', opens_at: '05:30' } });
  check(xUpdated.city === 'Bend' && xUpdated.id === x.id, 'shop updated and returned');
  check((await call('GET', `/shops/${x.id}`)).donut_count === 0, 'new shop has no donuts');
  await call('PUT', '/shops/99999', { body: { name: 'Nowhere', city: 'Atlantis' }, expect: 404 });

  const staff = await call('GET', '/employees');
  check(staff.count >= 7, 'seeded employees listed');
  const bakers = await call('GET', '/employees?shop=1&role=baker');
  check(bakers.count >= 1 && bakers.employees.every((e) => e.shop_id === 1 && e.role === 'baker'), 'employee filters');
  check((await call('GET', '/employees?role=manager')).employees.every((e) => e.role === 'manager'), 'role filter');
  check((await call('GET', '/employees/1')).name === 'Ana', 'employee 1 is Ana');
  check((await call('GET', '/employees/2')).role === 'cashier', 'employee 2 is a cashier');
  await call('GET', '/employees/99999', { expect: 404 });

  const e1 = await call('POST', '/employees', { body: { name: 'Hana', role: 'baker', shop_id: x.id }, expect: 201 });
  const e2 = await call('POST', '/employees', { body: { name: 'Ivo', role: 'cashier', shop_id: 1 }, expect: 201 });
  await call('POST', '/employees', { body: { name: 'Jo', role: 'baker', shop_id: 99999 }, expect: 400 });
  await call('PUT', `/employees/${e1.id}`, { body: { name: 'Hana', role: 'manager', shop_id: x.id } });
  check((await call('GET', `/employees/${e1.id}`)).role === 'manager', 'promotion stored');
  await call('PUT', `/employees/${e2.id}`, { body: { name: 'Ivo K.', role: 'cashier', shop_id: 2 } });
  await call('PUT', '/employees/99999', { body: { name: 'Nobody', role: 'baker', shop_id: 1 }, expect: 404 });
  await call('DELETE', `/employees/${e2.id}`, { expect: 204 });
  await call('DELETE', `/employees/${e2.id}`, { expect: 404 });

  await call('DELETE', `/shops/${x.id}`, { expect: 204 });
  await call('GET', `/employees/${e1.id}`, { expect: 404 });
  await call('DELETE', `/shops/${y.id}`, { expect: 204 });
  await call('GET', `/shops/${y.id}`, { expect: 404 });
  await call('DELETE', `/shops/${y.id}`, { expect: 404 });
  check((await call('GET', '/shops')).count === shops.count, 'shop count back to where it was');
}

donuts()
  .then(shopsAndEmployees)
  .catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
