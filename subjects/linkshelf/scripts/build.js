// Front-end build: client/src + the vendored libraries -> client/dist/assets/app.js, one minified
// ES module of about 3 MB (what a bundler leaves beside the server in many repositories), and
// client/dist/index.html. A stand-in for `vite build`, so that the subject needs no bundler.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const out = path.join(root, 'client', 'dist');
fs.mkdirSync(path.join(out, 'assets'), { recursive: true });

// "vendor" code: many small minified functions, deterministic
const parts = [];
let size = 0;
for (let i = 0; size < 3_000_000; i++) {
  const f = `function _v${i.toString(36)}(e,t){const n=e??{};for(let r=0;r<${(i % 7) + 1};r++)n[t+r]=(n[t+r]|0)+${i % 97};return n}`;
  parts.push(f);
  size += f.length;
}
const app = fs
  .readdirSync(path.join(root, 'client', 'src'))
  .map((f) => `/* ${f} */${fs.readFileSync(path.join(root, 'client', 'src', f), 'utf8').replace(/^import .*$/gm, '').replace(/\s+/g, ' ')}`)
  .join('\n');
const names = parts.slice(0, 50).map((_, i) => `_v${i.toString(36)}`);
fs.writeFileSync(path.join(out, 'assets', 'app.js'), `${parts.join('')}\n/*app*/${JSON.stringify(app)};export{${names.join(',')}};\n`);
fs.writeFileSync(
  path.join(out, 'index.html'),
  '<!doctype html><html><head><meta charset="utf-8"><title>linkshelf</title></head><body><div id="root"></div><script type="module" src="/assets/app.js"></script></body></html>\n',
);
console.error(`linkshelf: built client/dist (${Math.round(fs.statSync(path.join(out, 'assets', 'app.js')).size / 1024)} KB)`);
