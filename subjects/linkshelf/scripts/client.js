// Regression client for linkshelf: exercises every API route, checks the answers, prints one line
// per request (`METHOD /path?query -> STATUS`) on stdout and exits 1 on any surprise.
const base = (process.argv[2] || `http://127.0.0.1:${process.env.PORT || 3107}`).replace(/\/$/, '');

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

async function main() {
  const all = await call('GET', '/api/links');
  check(all.count >= 4 && all.links.some((l) => l.title === 'Node.js API docs'), 'seeded links listed');
  const docs = await call('GET', '/api/links?tag=docs');
  check(docs.count >= 2 && docs.links.every((l) => /docs|SQLite|Node/.test(l.title)), 'tag filter');

  const one = await call('GET', '/api/links/1');
  check(one.url === 'https://nodejs.org/api/' && one.tags.includes('docs'), 'link 1 with its tags');
  const again = await call('GET', '/api/links/1');
  check(again.visits === one.visits, 'link 1 again (cached)');
  const sql = await call('GET', '/api/links/3');
  check(sql.tags.join() === 'docs,sql' || sql.tags.sort().join() === 'docs,sql', 'link 3 tags');
  await call('GET', '/api/links/999', { expect: 404 });

  const before = await call('GET', '/api/stats');
  check(before.links >= 4 && before.visits >= 1, 'stats');
  await call('GET', '/api/stats');

  const created = await call('POST', '/api/links', { body: { url: 'https://knexjs.org/guide/', title: 'Knex guide', tags: ['sql', 'Node'] }, expect: 201 });
  check(created.tags.join() === 'sql,node' && created.visits === 0, 'link created with tags');
  const plain = await call('POST', '/api/links', { body: { url: 'https://example.org/' }, expect: 201 });
  check(plain.title === 'https://example.org/' && plain.id !== created.id, 'link created without title');
  await call('POST', '/api/links', { body: { url: 'ftp://nope' }, expect: 400 });
  const stats = await call('GET', '/api/stats');
  check(stats.links >= before.links + 2, 'stats see the new links');

  const v1 = await call('POST', `/api/links/${created.id}/visits`);
  check(v1.visits === 1, 'first visit');
  const v2 = await call('POST', `/api/links/${created.id}/visits`);
  check(v2.visits === 2, 'second visit');
  const shown = await call('GET', `/api/links/${created.id}`);
  check(shown.visits === 2 && shown.tags.includes('node'), 'visits seen on the link');
  await call('POST', '/api/links/999/visits', { expect: 404 });

  const tags = await call('GET', '/api/tags');
  const sqlTag = tags.tags.find((t) => t.name === 'sql');
  check(sqlTag && Number(sqlTag.links) >= 2, 'tag counts');

  await call('DELETE', `/api/links/${plain.id}`, { expect: 204 });
  await call('GET', `/api/links/${plain.id}`, { expect: 404 });
  await call('DELETE', '/api/links/999', { expect: 404 });
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
