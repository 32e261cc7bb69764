// Returns taskdesk to its initial state: the database is created and seeded on the next start.
const fs = require('fs');
const path = require('path');

fs.rmSync(path.join(__dirname, '..', 'data'), { recursive: true, force: true });
console.error('taskdesk: data/ removed; the next start seeds it');
