// Regression client for the book service: exercises every route, checks the answers, prints one
// line per request (`METHOD /path?query -> STATUS`) on stdout and exits 1 on any surprise.
const base = (process.argv[2] || `http://127.0.0.1:${process.env.PORT || 3104}`).replace(/\/$/, '');

async function call(method, path, { body, text, expect = 200 } = {}) {
  const url = new URL(path, base);
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  } else if (text !== undefined) {
    init.headers['content-type'] = 'text/plain';
    init.body = text;
  }
  const res = await fetch(url, init);
  const raw = await res.text();
  console.log(`${method} ${url.pathname}${url.search} -> ${res.status}`);
  if (res.status !== expect) throw new Error(`${method} ${path}: expected ${expect}, got ${res.status}: ${raw.slice(0, 200)}`);
  return raw && (res.headers.get('content-type') || '').includes('json') ? JSON.parse(raw) : raw;
}

function check(cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`);
}

// ~60 KB of deterministic text for the books this client uploads
function sampleText(seed) {
  const words = ['river', 'lantern', 'stone', 'quiet', 'north', 'ember', 'paper', 'window', 'salt', 'harbor'];
  const out = [];
  let x = seed;
  for (let i = 0; i < 9000; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(words[x % words.length]);
  }
  return out.join(' ');
}

async function reading() {
  const list = await call('GET', '/books');
  check(list.count >= 6 && list.books.some((b) => b.id === 'the-silent-harbor' && b.bytes === 120000), 'seed library listed');
  check(list.books.every((b) => b.bytes >= 100000 && b.bytes <= 2000000), 'books are 100 KB - 2 MB');
  const harbor = await call('GET', '/books/the-silent-harbor');
  check(harbor.title === 'The Silent Harbor' && harbor.pages === 30, 'metadata of the-silent-harbor');
  const atlas = await call('GET', '/books/an-atlas-of-small-hours');
  check(atlas.bytes === 1950000 && atlas.title === 'An Atlas of Small Hours', 'metadata of the largest book');
  await call('GET', '/books/no-such-book', { expect: 404 });
  await call('GET', '/books/Bad_Id', { expect: 400 });

  const text1 = await call('GET', '/books/the-silent-harbor/text');
  check(text1.length === 120000 && text1.startsWith('Title: The Silent Harbor\n'), 'full text of the-silent-harbor');
  const text2 = await call('GET', '/books/winter-on-the-meridian/text');
  check(text2.length === 1400000, 'full text of winter-on-the-meridian');
  await call('GET', '/books/no-such-book/text', { expect: 404 });

  const p1 = await call('GET', '/books/the-silent-harbor/page/1');
  check(p1.text === text1.slice(0, 4000) && p1.pages === 30, 'page 1 is the first 4000 chars');
  const p7 = await call('GET', '/books/the-silent-harbor/page/7');
  check(p7.text === text1.slice(24000, 28000), 'page 7');
  const last = await call('GET', '/books/a-garden-of-iron/page/78');
  check(last.text.length === 310000 - 77 * 4000, 'short last page');
  await call('GET', '/books/a-garden-of-iron/page/79', { expect: 404 });
  await call('GET', '/books/a-garden-of-iron/page/zero', { expect: 400 });

  const s1 = await call('GET', '/books/a-garden-of-iron/stats');
  check(s1.words > 50000 && s1.top.length === 5, 'word stats');
  const s2 = await call('GET', '/books/a-garden-of-iron/stats');
  check(JSON.stringify(s1) === JSON.stringify(s2), 'cached stats identical');
  const s3 = await call('GET', '/books/letters-from-the-salt-road/stats');
  check(s3.words > s1.words, 'a longer book has more words');
  await call('GET', '/books/no-such-book/stats', { expect: 404 });

  const log = await call('GET', '/access-log?limit=3');
  check(log.lines.length === 3 && log.lines[2] === 'page 78 a-garden-of-iron', 'access log tail');
  check((await call('GET', '/access-log')).total >= 6, 'access log total');
}

async function writing() {
  const text = sampleText(7);
  const made = await call('POST', '/books?title=Client%20Notebook', { text, expect: 201 });
  check(made.id === 'client-notebook' && made.bytes === text.length, 'book uploaded');
  const other = await call('POST', '/books?title=Second%20Notebook!', { text: sampleText(99), expect: 201 });
  check(other.id === 'second-notebook', 'slug without punctuation');
  await call('POST', '/books?title=Client%20Notebook', { text: 'again', expect: 409 });
  await call('POST', '/books', { text: 'no title', expect: 400 });
  const meta = await call('GET', `/books/${made.id}`);
  check(meta.title === 'Client Notebook' && meta.bytes === text.length + 'Title: Client Notebook\n\n'.length, 'uploaded metadata');
  const page = await call('GET', `/books/${made.id}/page/1`);
  check(page.text === `Title: Client Notebook\n\n${text}`.slice(0, 4000), 'uploaded page');
  const stats = await call('GET', `/books/${made.id}/stats`);
  check(stats.words === 9003, `uploaded word count (${stats.words})`);
  await call('DELETE', `/books/${made.id}`, { expect: 204 });
  await call('DELETE', `/books/${other.id}`, { expect: 204 });
  await call('DELETE', `/books/${made.id}`, { expect: 404 });
  await call('GET', `/books/${made.id}/stats`, { expect: 404 });
  check((await call('GET', '/books')).books.every((b) => b.id !== made.id), 'deleted book gone from the list');
}

async function bookmarks() {
  const ada = await call('GET', '/bookmarks/ada');
  check(ada.bookmarks['the-silent-harbor'] === 3, 'seeded bookmark');
  const set1 = await call('PUT', '/bookmarks/reader-1/a-garden-of-iron', { body: { page: 12 } });
  check(set1.bookmarks['a-garden-of-iron'] === 12, 'bookmark set');
  await call('PUT', '/bookmarks/reader-1/winter-on-the-meridian', { body: { page: 40 } });
  await call('PUT', '/bookmarks/ada/a-garden-of-iron', { body: { page: 2 } });
  await call('PUT', '/bookmarks/reader-1/no-such-book', { body: { page: 1 }, expect: 404 });
  await call('PUT', '/bookmarks/reader-1/a-garden-of-iron', { body: { page: 0 }, expect: 400 });
  const mine = await call('GET', '/bookmarks/reader-1');
  check(mine.bookmarks['a-garden-of-iron'] === 12 && mine.bookmarks['winter-on-the-meridian'] === 40, 'bookmarks read back');
  await call('DELETE', '/bookmarks/reader-1/a-garden-of-iron', { expect: 204 });
  await call('DELETE', '/bookmarks/reader-1/winter-on-the-meridian', { expect: 204 });
  await call('DELETE', '/bookmarks/reader-1/winter-on-the-meridian', { expect: 404 });
  await call('DELETE', '/bookmarks/ada/a-garden-of-iron', { expect: 204 });
  check(Object.keys((await call('GET', '/bookmarks/reader-1')).bookmarks).length === 0, 'reader-1 has none left');
  check(JSON.stringify((await call('GET', '/bookmarks/ada')).bookmarks) === '{"the-silent-harbor":3}', 'ada back to seed');
}

reading()
  .then(writing)
  .then(bookmarks)
  .catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
