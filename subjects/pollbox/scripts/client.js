// Regression client for pollbox: logs two users in (one with the bearer token, one with the
// session cookie, as a browser would), creates polls (random UUID keys), votes, closes and
// deletes them. Prints one line per request (`METHOD /path -> STATUS`) and exits 1 on any surprise.
const base = (process.argv[2] || `http://127.0.0.1:${process.env.PORT || 3110}`).replace(/\/$/, '');

async function call(method, path, { body, expect = 200, auth } = {}) {
  const url = new URL(path, base);
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (auth && auth.token) init.headers.authorization = `Bearer ${auth.token}`;
  if (auth && auth.cookie) init.headers.cookie = auth.cookie;
  const res = await fetch(url, init);
  const text = await res.text();
  console.log(`${method} ${url.pathname}${url.search} -> ${res.status}`);
  if (res.status !== expect) throw new Error(`${method} ${path}: expected ${expect}, got ${res.status}: ${text}`);
  const data = text && (res.headers.get('content-type') || '').includes('json') ? JSON.parse(text) : text;
  return { data, res };
}

function check(cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`);
}

async function main() {
  await call('GET', '/api/me', { expect: 401 });
  await call('POST', '/api/login', { body: { name: 'alice', password: 'nope' }, expect: 401 });
  // alice uses the token from the answer
  const a = await call('POST', '/api/login', { body: { name: 'alice', password: 'wonderland' } });
  const alice = { token: a.data.token };
  check(typeof alice.token === 'string' && alice.token.length > 20, 'alice got a token');
  // bob is a browser: he keeps the cookie
  const b = await call('POST', '/api/login', { body: { name: 'bob', password: 'builder42' } });
  const sid = (b.res.headers.get('set-cookie') || '').split(';')[0];
  check(sid.startsWith('sid='), 'bob got a session cookie');
  const bob = { cookie: `${sid}; theme=dark` };
  check((await call('GET', '/api/me', { auth: alice })).data.name === 'alice', 'alice is logged in');
  check((await call('GET', '/api/me', { auth: bob })).data.name === 'bob', 'bob is logged in');

  // (a second run, e.g. through another edge, finds the polls of the first one too)
  const before = (await call('GET', '/api/polls')).data;
  const seeded = before.filter((p) => p.question === 'Tabs or spaces?');
  check(seeded.length === 1, 'the seeded poll is listed');
  await call('POST', '/api/polls', { body: { question: 'Lunch?', choices: ['Pizza', 'Soup'] }, expect: 401 });
  await call('POST', '/api/polls', { body: { question: '', choices: [] }, expect: 400, auth: alice });

  // create, then act on what was created
  const lunch = (await call('POST', '/api/polls', { body: { question: 'Lunch?', choices: ['Pizza', 'Soup', 'Salad'] }, expect: 201, auth: alice })).data;
  check(/^[0-9a-f-]{36}$/.test(lunch.id) && lunch.choices.length === 3, 'poll created with a uuid');
  const trip = (await call('POST', '/api/polls', { body: { question: 'Team trip?', choices: ['Lake', 'Hills'] }, expect: 201, auth: bob })).data;
  check((await call('GET', `/api/polls/${lunch.id}`)).data.question === 'Lunch?', 'the new poll is readable');
  let after = (await call('POST', `/api/polls/${lunch.id}/votes`, { body: { choiceId: lunch.choices[1].id }, expect: 201, auth: alice })).data;
  check(after.choices[1].votes === 1, 'alice voted for soup');
  after = (await call('POST', `/api/polls/${lunch.id}/votes`, { body: { choiceId: lunch.choices[0].id }, expect: 201, auth: bob })).data;
  check(after.choices[0].votes === 1 && after.choices[1].votes === 1, 'bob voted for pizza');
  await call('POST', `/api/polls/${lunch.id}/votes`, { body: { choiceId: trip.choices[0].id }, expect: 400, auth: bob });
  await call('POST', `/api/polls/${trip.id}/votes`, { body: { choiceId: trip.choices[1].id }, expect: 201, auth: alice });
  const seededPoll = (await call('GET', `/api/polls/${seeded[0].id}`)).data;
  await call('POST', `/api/polls/${seeded[0].id}/votes`, { body: { choiceId: seededPoll.choices[0].id }, expect: 201, auth: bob });
  await call('POST', `/api/polls/${lunch.id}/close`, { expect: 403, auth: bob });
  check((await call('POST', `/api/polls/${lunch.id}/close`, { auth: alice })).data.closed === true, 'alice closed her poll');
  await call('POST', `/api/polls/${lunch.id}/votes`, { body: { choiceId: lunch.choices[2].id }, expect: 409, auth: alice });
  const list = (await call('GET', '/api/polls')).data;
  check(list.length === before.length + 2 && list.find((p) => p.id === lunch.id).closed, 'two more polls, lunch closed');
  await call('DELETE', `/api/polls/${trip.id}`, { expect: 403, auth: alice });
  await call('DELETE', `/api/polls/${trip.id}`, { expect: 204, auth: bob });
  await call('GET', `/api/polls/${trip.id}`, { expect: 404 });
  await call('GET', '/api/polls/00000000-0000-4000-8000-000000000000', { expect: 404 });
  await call('POST', '/api/logout', { expect: 204, auth: bob });
  await call('GET', '/api/me', { expect: 401, auth: bob });
  check((await call('GET', '/api/me', { auth: alice })).data.name === 'alice', 'alice is still logged in');
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
