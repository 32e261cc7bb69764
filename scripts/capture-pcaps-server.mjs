// A small HTTP server whose traffic scripts/capture-pcaps.sh captures for the pcap fixtures.
import http from 'node:http';
import { gzipSync } from 'node:zlib';

const port = Number(process.argv[2] ?? 0);
const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const p = url.pathname;
    const json = (status, value) => {
      const text = JSON.stringify(value);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (p.startsWith('/echo/')) return json(200, { id: p.slice(6), q: url.searchParams.get('q') });
    if (p === '/echo' && req.method === 'POST') return json(201, { got: body });
    if (p === '/chunked') {
      res.writeHead(200, { 'content-type': 'text/plain' }); // no length: Node sends it chunked
      res.write('first part, ');
      setTimeout(() => res.end('second part'), 20);
      return;
    }
    if (p === '/gzip') {
      const gz = gzipSync(JSON.stringify({ hello: 'gzip' }));
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': gz.length });
      return res.end(gz);
    }
    if (p === '/big') {
      const text = 'abcdefghij'.repeat(Number(url.searchParams.get('kb') ?? 1) * 103);
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': text.length });
      return res.end(text);
    }
    if (p === '/slow') {
      setTimeout(() => json(200, { id: url.searchParams.get('id') }), Number(url.searchParams.get('ms') ?? 10));
      return;
    }
    json(404, { error: 'not found' });
  });
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
