// Regression client for the recipe book: exercises every route, checks the answers, prints one
// line per request (`METHOD /path?query -> STATUS`) on stdout and exits 1 on any surprise.
const base = (process.argv[2] || `http://127.0.0.1:${process.env.PORT || 3102}`).replace(/\/$/, '');

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

async function recipes() {
  const all = await call('GET', '/api/recipes');
  check(all.count >= 4 && all.recipes[0].title === 'Buttermilk Pancakes', 'seeded recipes listed');
  const quick = await call('GET', '/api/recipes?maxMinutes=30');
  check(quick.recipes.every((r) => r.minutes <= 30) && quick.count >= 2, 'maxMinutes filter');
  const flour = await call('GET', '/api/recipes?ingredient=flour');
  check(flour.recipes.map((r) => r.title).join() === 'Buttermilk Pancakes,Banana Bread', 'ingredient sub-query');
  const soup = await call('GET', '/api/recipes?q=soup&maxMinutes=60');
  check(soup.count === 1 && soup.recipes[0].id === 2, 'title search');
  await call('GET', '/api/recipes?maxMinutes=soon', { expect: 400 });

  const tomato = await call('GET', '/api/recipes/2');
  check(tomato.title === 'Tomato Soup' && tomato.ingredients.length === 4 && tomato.directions[0].step === 1, 'full recipe 2');
  const pancakes = await call('GET', '/api/recipes/1');
  check(pancakes.ingredients.some((i) => i.name === 'buttermilk'), 'full recipe 1');
  await call('GET', '/api/recipes/1');
  await call('GET', '/api/recipes/999', { expect: 404 });
  const recent = await call('GET', '/api/recipes/recent');
  check(recent.recipes[0].id === 1 && recent.recipes[1].id === 2, 'recently viewed: 1 then 2');
  const popular = await call('GET', '/api/recipes/popular');
  const p1 = popular.recipes.find((r) => r.id === 1);
  check(p1 && p1.views >= 2, 'recipe 1 is popular');
  const top1 = await call('GET', '/api/recipes/popular?limit=1');
  check(top1.recipes.length === 1 && top1.recipes[0].views >= p1.views, 'popular limit');

  const created = await call('POST', '/api/recipes', { body: { title: 'Lemonade', minutes: 5, servings: 6 }, expect: 201 });
  const other = await call('POST', '/api/recipes', { body: { title: 'Flatbread', minutes: 30 }, expect: 201 });
  check(other.servings === 2 && created.id !== other.id, 'created with default servings');
  await call('POST', '/api/recipes', { body: { title: '', minutes: 5 }, expect: 400 });
  const updated = await call('PUT', `/api/recipes/${created.id}`, { body: { title: 'Pink Lemonade', minutes: 7, servings: 6 } });
  check(updated.title === 'Pink Lemonade' && updated.minutes === 7, 'recipe updated');
  await call('PUT', `/api/recipes/${other.id}`, { body: { title: 'Garlic Flatbread', minutes: 35, servings: 4 } });
  await call('PUT', '/api/recipes/999', { body: { title: 'Nothing', minutes: 1 }, expect: 404 });
  return { created, other };
}

async function nested({ created, other }) {
  const none = await call('GET', `/api/recipes/${created.id}/ingredients`);
  check(none.recipe === 'Pink Lemonade' && none.ingredients.length === 0, 'new recipe has no ingredients');
  const lemon = await call('POST', `/api/recipes/${created.id}/ingredients`, { body: { name: 'Lemon', quantity: 4, unit: 'pc' }, expect: 201 });
  const sugar = await call('POST', `/api/recipes/${created.id}/ingredients`, { body: { name: 'sugar', quantity: 80, unit: 'g' }, expect: 201 });
  await call('POST', `/api/recipes/${other.id}/ingredients`, { body: { name: 'flour', quantity: 300, unit: 'g' }, expect: 201 });
  await call('POST', '/api/recipes/999/ingredients', { body: { name: 'air', quantity: 1, unit: 'l' }, expect: 404 });
  const fixed = await call('PUT', `/api/recipes/${created.id}/ingredients/${lemon.id}`, { body: { name: 'lemon', quantity: 5, unit: 'pc' } });
  check(fixed.quantity === 5 && fixed.name === 'lemon', 'ingredient updated');
  await call('PUT', `/api/recipes/${created.id}/ingredients/${sugar.id}`, { body: { name: 'sugar', quantity: 60, unit: 'g' } });
  await call('PUT', `/api/recipes/${other.id}/ingredients/${lemon.id}`, { body: { name: 'lemon', quantity: 1, unit: 'pc' }, expect: 404 });
  const two = await call('GET', `/api/recipes/${created.id}/ingredients`);
  check(two.ingredients.map((i) => `${i.name}:${i.quantity}`).join() === 'lemon:5,sugar:60', 'ingredients after writes');
  await call('GET', '/api/recipes/999/ingredients', { expect: 404 });

  const list = await call('GET', `/api/shopping-list?recipes=${created.id},4`);
  const sugarItem = list.items.find((i) => i.name === 'sugar');
  check(sugarItem && sugarItem.quantity === 180 && sugarItem.recipes.length === 2, 'shopping list sums sugar (JOIN)');
  const flourList = await call('GET', `/api/shopping-list?recipes=1,${other.id}`);
  check(flourList.items.find((i) => i.name === 'flour').quantity === 550, 'shopping list sums flour');
  await call('GET', '/api/shopping-list', { expect: 400 });

  const s1 = await call('POST', `/api/recipes/${created.id}/directions`, { body: { text: 'Squeeze the lemons.' }, expect: 201 });
  const s2 = await call('POST', `/api/recipes/${created.id}/directions`, { body: { text: 'Stir in sugar and water.' }, expect: 201 });
  check(s1.step === 1 && s2.step === 2, 'steps numbered in order');
  await call('POST', '/api/recipes/999/directions', { body: { text: 'Nothing' }, expect: 404 });
  const steps = await call('GET', `/api/recipes/${created.id}/directions`);
  check(steps.steps.map((s) => s.text).join('|') === 'Squeeze the lemons.|Stir in sugar and water.', 'directions after writes');
  check((await call('GET', '/api/recipes/4/directions')).steps.length === 4, 'banana bread has 4 steps');
  await call('DELETE', `/api/recipes/${created.id}/directions/${s1.id}`, { expect: 204 });
  await call('DELETE', `/api/recipes/${created.id}/directions/${s1.id}`, { expect: 404 });
  await call('DELETE', `/api/recipes/${created.id}/ingredients/${sugar.id}`, { expect: 204 });
  await call('DELETE', `/api/recipes/${created.id}/ingredients/${sugar.id}`, { expect: 404 });

  const full = await call('GET', `/api/recipes/${created.id}`);
  check(full.ingredients.length === 1 && full.directions.length === 1, 'recipe after nested deletes');
  check((await call('GET', '/api/recipes/recent')).recipes[0].id === created.id, 'new recipe viewed last');
  await call('DELETE', `/api/recipes/${created.id}`, { expect: 204 });
  await call('DELETE', `/api/recipes/${other.id}`, { expect: 204 });
  await call('DELETE', `/api/recipes/${created.id}`, { expect: 404 });
  await call('GET', `/api/recipes/${created.id}`, { expect: 404 });
  const recent = await call('GET', '/api/recipes/recent');
  check(recent.recipes.every((r) => r.id !== created.id), 'deleted recipe no longer recent');
  const popular = await call('GET', '/api/recipes/popular?limit=10');
  check(popular.recipes.every((r) => r.id !== created.id), 'deleted recipe no longer popular');
}

recipes()
  .then(nested)
  .catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
