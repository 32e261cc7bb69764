// Returns curio to its initial state: the database and the uploaded photos are removed; the next
// start creates the demo catalogue again and copies the sample photos into uploads/.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
fs.rmSync(path.join(root, 'data'), { recursive: true, force: true });
fs.rmSync(path.join(root, 'uploads'), { recursive: true, force: true });
console.error('curio: data/ and uploads/ removed; the next start seeds them again');
