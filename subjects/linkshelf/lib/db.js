// One knex instance for the whole app. knex connects lazily: the sqlite3 connection is opened
// by the pool on the first query, i.e. inside the first request. The schema comes from
// `npm run migrate` (scripts/migrate.js).
const path = require('path');
const knex = require('knex');

const db = knex({
  client: 'sqlite3',
  connection: { filename: path.join(__dirname, '..', 'data', 'linkshelf.db') },
  useNullAsDefault: true,
  pool: { min: 1, max: 1 },
});

module.exports = db;
