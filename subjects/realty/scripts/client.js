// Regression client for the realty app: exercises every route, checks the answers, prints one
// line per request (`METHOD /path?query -> STATUS`) on stdout and exits 1 on any surprise.
const base = (process.argv[2] || `http://127.0.0.1:${process.env.PORT || 3103}`).replace(/\/$/, '');

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

async function properties() {
  const all = await call('GET', '/properties');
  check(all.count >= 8 && all.properties[0].price <= all.properties[1].price, 'properties sorted by price');
  const porto = await call('GET', '/properties?city=Porto&maxPrice=400000');
  check(porto.count === 2 && porto.properties.every((p) => p.city === 'Porto' && p.price <= 400000), 'city + maxPrice');
  const pricey = await call('GET', '/properties?minPrice=800000');
  check(pricey.properties.map((p) => p.id).join() === '3,7', 'minPrice filter');
  await call('GET', '/properties?minPrice=lots', { expect: 400 });
  const alfama = await call('GET', '/properties/1');
  check(alfama.broker_name === 'Marta Sousa' && alfama.likes >= 2, 'property 1 joined with broker');
  check((await call('GET', '/properties/1')).title === alfama.title, 'cached property 1');
  const villa = await call('GET', '/properties/7');
  check(villa.city === 'Faro' && villa.broker_name === 'Inês Costa', 'property 7');
  await call('GET', '/properties/9999', { expect: 404 });

  const a = await call('POST', '/properties', { body: { title: 'Penthouse in Chiado', city: 'Lisbon', price: 990000, bedrooms: 3, broker_id: 1 }, expect: 201 });
  const b = await call('POST', '/properties', { body: { title: 'Tiny house', city: 'Braga', price: 95000, bedrooms: 1 }, expect: 201 });
  await call('POST', '/properties', { body: { title: 'No price', city: 'Braga' }, expect: 400 });
  check((await call('GET', `/properties/${a.id}`)).broker_name === 'Marta Sousa', 'new property readable with broker');
  await call('PUT', `/properties/${a.id}`, { body: { title: 'Penthouse in Chiado', city: 'Lisbon', price: 950000, bedrooms: 3, broker_id: 2 } });
  const aNow = await call('GET', `/properties/${a.id}`);
  check(aNow.price === 950000 && aNow.broker_name === 'Rui Almeida', 'update visible (cache invalidated)');
  await call('PUT', `/properties/${b.id}`, { body: { title: 'Tiny house', city: 'Braga', price: 99000, bedrooms: 1, broker_id: 3 } });
  await call('PUT', '/properties/9999', { body: { title: 'Ghost', city: 'Nowhere', price: 1, bedrooms: 0 }, expect: 404 });
  return { a, b };
}

async function likes({ a, b }) {
  const before = (await call('GET', '/stats')).likesSinceStart;
  const likes2 = (await call('GET', '/properties/2')).likes;
  check((await call('POST', '/properties/2/likes', { body: { user: 'client-x' }, expect: 201 })).liked, 'new like');
  const again = await call('POST', '/properties/2/likes', { body: { user: 'client-x' } });
  check(again.liked === false, 'second like ignored');
  await call('POST', `/properties/${a.id}/likes`, { body: { user: 'client-x' }, expect: 201 });
  await call('POST', '/properties/9999/likes', { body: { user: 'client-x' }, expect: 404 });
  check((await call('GET', '/properties/2')).likes === likes2 + 1, 'like count refreshed');
  const who = await call('GET', '/properties/2/likes');
  check(who.users.includes('client-x'), 'liker listed');
  check((await call('GET', '/properties/1/likes')).users.join() === 'alice,bob', 'seeded likes of 1');
  const stats = await call('GET', '/stats');
  check(stats.likesSinceStart === before + 2, `likesSinceStart grew by 2 (${before} -> ${stats.likesSinceStart})`);
  await call('DELETE', '/properties/2/likes/client-x', { expect: 204 });
  await call('DELETE', '/properties/2/likes/client-x', { expect: 404 });
  check((await call('GET', '/properties/2')).likes === likes2, 'unlike refreshed the count');

  await call('DELETE', `/properties/${a.id}`, { expect: 204 });
  await call('DELETE', `/properties/${b.id}`, { expect: 204 });
  await call('GET', `/properties/${a.id}`, { expect: 404 });
  await call('DELETE', `/properties/${a.id}`, { expect: 404 });
  check((await call('GET', `/properties/${a.id}/likes`)).count === 0, 'likes removed with the property');
  check((await call('GET', '/stats')).properties === 8, 'property count back to 8');
}

async function brokers() {
  const list = await call('GET', '/brokers');
  check(list.brokers[0].name === 'Marta Sousa' && list.brokers[0].listings === 3, 'broker listings (JOIN)');
  const b2 = await call('GET', '/brokers/2');
  check(b2.listings.length === 3 && b2.listings.every((p) => p.city === 'Porto'), 'broker 2 lists Porto');
  check((await call('GET', '/brokers/3')).agency === 'Algarve Prime', 'broker 3');
  await call('GET', '/brokers/9999', { expect: 404 });
  const n1 = await call('POST', '/brokers', { body: { name: 'Tiago Reis', agency: 'Minho Casas', phone: '+351 253 000 004' }, expect: 201 });
  const n2 = await call('POST', '/brokers', { body: { name: 'Sofia Lima', agency: 'Douro Real', phone: '+351 254 000 005' }, expect: 201 });
  await call('POST', '/brokers', { body: { name: 'Nameless' }, expect: 400 });
  const got = await call('GET', `/brokers/${n1.id}`);
  check(got.name === 'Tiago Reis' && got.listings.length === 0, 'new broker readable');
  const after = await call('GET', '/brokers');
  check(after.brokers.length === list.brokers.length + 2 && after.brokers.some((x) => x.id === n2.id), 'two brokers added');
}

async function favorites() {
  const alice = await call('GET', '/users/alice/favorites');
  check(alice.favorites.map((p) => p.id).join() === '1,4', 'alice favorites seeded');
  const mine = await call('PUT', '/users/client-a/favorites/2');
  check(mine.favorites.includes(2), 'favorite added');
  await call('PUT', '/users/client-a/favorites/6');
  check((await call('PUT', '/users/client-a/favorites/2')).favorites.filter((x) => x === 2).length === 1, 'no duplicates');
  await call('PUT', '/users/client-a/favorites/9999', { expect: 404 });
  await call('PUT', '/users/alice/favorites/5');
  const list = await call('GET', '/users/client-a/favorites');
  check(list.favorites.map((p) => p.id).join() === '2,6', 'client-a favorites read back');
  await call('GET', '/users/Bad.User/favorites', { expect: 400 });
  await call('DELETE', '/users/client-a/favorites/2', { expect: 204 });
  await call('DELETE', '/users/client-a/favorites/6', { expect: 204 });
  await call('DELETE', '/users/client-a/favorites/6', { expect: 404 });
  await call('DELETE', '/users/alice/favorites/5', { expect: 204 });
  check((await call('GET', '/users/client-a/favorites')).favorites.length === 0, 'client-a has none left');
  check((await call('GET', '/users/alice/favorites')).favorites.length === 2, 'alice back to two');
}

properties()
  .then(likes)
  .then(brokers)
  .then(favorites)
  .catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
