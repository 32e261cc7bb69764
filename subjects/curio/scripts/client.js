// Regression client for curio: exercises every route, checks the answers, prints one line per
// request (`METHOD /path -> STATUS`) on stdout and exits 1 on any surprise. It may run again on a
// catalogue it already changed (it compares with what it finds, not with fixed counts).
const base = (process.argv[2] || `http://127.0.0.1:${process.env.PORT || 3000}`).replace(/\/$/, '');

async function call(method, path, { body, expect = 200 } = {}) {
  const url = new URL(path, base);
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  const raw = await res.text();
  console.log(`${method} ${url.pathname} -> ${res.status}`);
  if (res.status !== expect) throw new Error(`${method} ${path}: expected ${expect}, got ${res.status}: ${raw.slice(0, 200)}`);
  return (res.headers.get('content-type') || '').includes('json') ? JSON.parse(raw) : raw;
}

function check(cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`);
}

const KETTLE_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><title>kettle</title><circle cx="32" cy="32" r="30" fill="#b87333"/></svg>\n';

async function main() {
  const notice = await call('GET', '/notice');
  check(notice.startsWith('Curio is open'), 'the notice is read from content/notice.txt');

  const items = await call('GET', '/items');
  check(items.length >= 4 && items[0].name === 'Brass desk lamp', 'the demo catalogue is there');
  check(items.every((i) => i.href === `/items/${i.id}`), 'every item links to itself');
  const favorites = await call('GET', '/items/favorites');
  check(favorites.count === favorites.items.length && favorites.items.every((i) => i.favorite), 'favorites are favorites (not item "favorites")');
  check(favorites.items.some((i) => i.name === 'Brass desk lamp'), 'the lamp is a favorite');

  const lamp = await call('GET', `/items/${items[0].id}`);
  check(lamp.photo === '/uploads/lamp.svg', 'the lamp has its sample photo');
  const vase = await call('GET', `/items/${items[2].id}`);
  check(vase.name === 'Blue glass vase', 'the third item is the vase');
  await call('GET', '/items/999999', { expect: 404 });

  // the sample photos the app copied into uploads/ at its first start
  for (const name of ['lamp', 'clock', 'vase']) {
    const svg = await call('GET', `/uploads/${name}.svg`);
    check(svg.includes(`<title>${name}</title>`), `sample photo ${name}.svg is served`);
  }
  await call('GET', '/uploads/no-such-photo.svg', { expect: 404 });

  const kettle = await call('POST', '/items', { body: { name: 'Copper kettle', price: 2600 }, expect: 201 });
  check(kettle.href === `/items/${kettle.id}` && kettle.favorite === false, 'a new item links to itself');
  await call('POST', '/items', { body: { name: '', price: 5 }, expect: 400 });
  const again = await call('GET', `/items/${kettle.id}`);
  check(again.name === 'Copper kettle' && again.photo === null, 'the new item reads back');

  const fav = await call('PUT', `/items/${kettle.id}/favorite`, { body: { favorite: true } });
  check(fav.favorite === true && fav.href === `/items/${kettle.id}`, 'the kettle is a favorite now');
  const after = await call('GET', '/items/favorites');
  check(after.count === favorites.count + 1 && after.items.some((i) => i.id === kettle.id), 'favorites count the kettle');

  const photo = await call('POST', `/items/${kettle.id}/photo`, { body: { filename: 'kettle.svg', data: Buffer.from(KETTLE_SVG).toString('base64') }, expect: 201 });
  check(photo.photo === `/uploads/item-${kettle.id}-kettle.svg`, 'the photo is stored under the item');
  const served = await call('GET', photo.photo);
  check(served === KETTLE_SVG, 'the uploaded photo is served as sent');
  const withPhoto = await call('GET', `/items/${kettle.id}`);
  check(withPhoto.photo === photo.photo, 'the item links to its photo');
  await call('POST', `/items/${kettle.id}/photo`, { body: { filename: '../x.svg', data: '' }, expect: 400 });

  const unfav = await call('PUT', `/items/${kettle.id}/favorite`, { body: { favorite: false } });
  check(unfav.favorite === false, 'the kettle is no favorite any more');
  await call('PUT', '/items/999999/favorite', { body: { favorite: true }, expect: 404 });
  const last = await call('GET', '/items');
  check(last.length === items.length + 1, 'one more item than before');
  console.log('curio client: all checks passed');
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
