'use strict';
// Back to the initial state: the prediction log and the generated weights live in data/.
const fs = require('node:fs');
const path = require('node:path');

const dataDir = path.join(__dirname, '..', 'data');
fs.rmSync(dataDir, { recursive: true, force: true });
console.log(`removed ${dataDir}`);
