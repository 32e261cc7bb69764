// Traffic for the pcap fixtures: keep-alive, pipelining, chunked both ways, HEAD, gzip, 404,
// interleaved connections. Writes the exchanges it expects ("METHOD /path -> STATUS") as JSON to
// the file given as second argument. With --tls, sends a real TLS ClientHello to the port instead.
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { writeFileSync } from 'node:fs';

const [base, expectFile, mode] = process.argv.slice(2);
const url = new URL(base);

if (mode === '--tls') {
  // The server is plain TCP; what matters for the fixture is the encrypted handshake on the wire.
  await new Promise((resolve) => {
    const s = tls.connect({ host: url.hostname, port: Number(url.port), rejectUnauthorized: false });
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    setTimeout(() => { s.destroy(); resolve(); }, 500);
  });
  process.exit(0);
}

const expected = [];
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function call(method, path, { body, headers = {}, chunked = false } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        expected.push(`${method} ${path} -> ${res.statusCode}`);
        resolve(Buffer.concat(chunks));
      });
    });
    req.on('error', reject);
    if (body !== undefined) {
      if (chunked) {
        req.write(body.slice(0, 5));
        setTimeout(() => req.end(body.slice(5)), 10);
        return;
      }
      req.end(body);
    } else req.end();
  });
}

// One keep-alive connection, one exchange after the other.
await call('GET', '/echo/1?q=a');
await call('POST', '/echo', { body: '{"name":"donut"}', headers: { 'content-type': 'application/json', authorization: 'Bearer secret-token' } });
await call('GET', '/chunked');
await call('HEAD', '/echo/2');
await call('GET', '/gzip', { headers: { 'accept-encoding': 'gzip' } });
await call('POST', '/echo', { body: 'chunked upload body', headers: { 'content-type': 'text/plain' }, chunked: true });
await call('GET', '/big?kb=40');
await call('GET', '/missing');
agent.destroy();

// Pipelining: two requests written at once on a raw socket, answered in order.
await new Promise((resolve, reject) => {
  const s = net.connect(Number(url.port), url.hostname, () => {
    s.write('GET /echo/p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /echo/p2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  });
  let got = '';
  s.on('data', (c) => (got += c));
  s.on('error', reject);
  s.on('close', () => {
    if ((got.match(/HTTP\/1.1 200/g) ?? []).length !== 2) return reject(new Error(`pipelining: ${got}`));
    expected.push('GET /echo/p1 -> 200', 'GET /echo/p2 -> 200');
    resolve();
  });
});

// Interleaved connections.
await Promise.all([1, 2, 3, 4, 5].map((i) => new Promise((resolve, reject) => {
  http.get({ host: url.hostname, port: url.port, path: `/slow?id=${i}&ms=${60 - i * 10}`, agent: false }, (res) => {
    res.resume();
    res.on('end', () => {
      expected.push(`GET /slow?id=${i}&ms=${60 - i * 10} -> ${res.statusCode}`);
      resolve();
    });
  }).on('error', reject);
})));

writeFileSync(expectFile, `${JSON.stringify(expected, null, 2)}\n`);
