// Back to the initial state: a freshly migrated and seeded database. Builds the front-end too
// when it was never built (the server serves client/dist).
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.join(__dirname, '..');
fs.rmSync(path.join(root, 'data'), { recursive: true, force: true });
execFileSync(process.execPath, [path.join(__dirname, 'migrate.js')], { stdio: 'inherit' });
if (!fs.existsSync(path.join(root, 'client', 'dist', 'index.html'))) {
  execFileSync(process.execPath, [path.join(__dirname, 'build.js')], { stdio: 'inherit' });
}
