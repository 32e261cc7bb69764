// Creates the schema and the seed bookmarks (what `knex migrate:latest && knex seed:run` would do).
const fs = require('fs');
const path = require('path');
const db = require('../lib/db');

const SEED = [
  { url: 'https://nodejs.org/api/', title: 'Node.js API docs', visits: 12, created_at: '2026-01-04', tags: ['node', 'docs'] },
  { url: 'https://expressjs.com/en/guide/routing.html', title: 'Express routing', visits: 5, created_at: '2026-01-09', tags: ['node', 'express'] },
  { url: 'https://sqlite.org/lang_select.html', title: 'SQLite SELECT', visits: 3, created_at: '2026-02-01', tags: ['sql', 'docs'] },
  { url: 'https://react.dev/learn', title: 'Learn React', visits: 8, created_at: '2026-02-17', tags: ['frontend'] },
];

async function migrate() {
  fs.mkdirSync(path.join(__dirname, '..', 'data'), { recursive: true });
  if (await db.schema.hasTable('links')) return false;
  await db.schema.createTable('links', (t) => {
    t.increments('id');
    t.string('url').notNullable();
    t.string('title').notNullable();
    t.integer('visits').notNullable().defaultTo(0);
    t.string('created_at').notNullable();
  });
  await db.schema.createTable('tags', (t) => {
    t.increments('id');
    t.string('name').notNullable().unique();
  });
  await db.schema.createTable('link_tags', (t) => {
    t.integer('link_id').notNullable();
    t.integer('tag_id').notNullable();
    t.primary(['link_id', 'tag_id']);
  });
  const tagIds = new Map();
  for (const { tags, ...link } of SEED) {
    const [id] = await db('links').insert(link);
    for (const name of tags) {
      if (!tagIds.has(name)) tagIds.set(name, (await db('tags').insert({ name }))[0]);
      await db('link_tags').insert({ link_id: id, tag_id: tagIds.get(name) });
    }
  }
  return true;
}

migrate()
  .then((created) => console.error(created ? 'linkshelf: database created and seeded' : 'linkshelf: database already there'))
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => db.destroy());
