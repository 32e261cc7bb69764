// Returns the donut shop to its initial state: the database is re-seeded on the next start.
const fs = require('fs');
const path = require('path');

fs.rmSync(path.join(__dirname, '..', 'data'), { recursive: true, force: true });
console.error('donutshop: data/ removed; the next start re-seeds it');
