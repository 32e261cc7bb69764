import http from 'node:http';
import * as handlers from './handlers.js';
import { ensureHistoryFile } from './history.js';
import { HttpError, readJsonBody, sendJson } from './respond.js';

const PORT = Number(process.env.PORT ?? 3105);

// Route table: the first entry whose method and pattern match handles the request.
// Named groups become params.
const routes = [
  { method: 'GET', pattern: /^\/elements$/, handler: handlers.listElements },
  { method: 'GET', pattern: /^\/elements\/(?<symbol>[A-Z][a-z]?)$/, handler: handlers.getElement },
  { method: 'POST', pattern: /^\/molweight$/, handler: handlers.postMolecularWeight },
  { method: 'POST', pattern: /^\/lipinski$/, handler: handlers.postLipinski },
  { method: 'POST', pattern: /^\/descriptors$/, handler: handlers.postDescriptors },
  { method: 'POST', pattern: /^\/similarity$/, handler: handlers.postSimilarity },
  { method: 'POST', pattern: /^\/batch$/, handler: handlers.postBatch },
  { method: 'GET', pattern: /^\/history$/, handler: handlers.getHistory },
  { method: 'GET', pattern: /^\/stats$/, handler: handlers.getStats },
  { method: 'DELETE', pattern: /^\/cache$/, handler: handlers.deleteCache },
];

function fail(res, err) {
  if (res.headersSent) return res.destroy();
  if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message });
  console.error(err);
  sendJson(res, 500, { error: 'internal error' });
}

function dispatch(route, match, req, res, url, body) {
  try {
    const pending = route.handler(req, res, { ...match.groups }, url.searchParams, body);
    if (pending && typeof pending.then === 'function') pending.catch((err) => fail(res, err));
  } catch (err) {
    fail(res, err);
  }
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const candidates = routes.filter((r) => r.pattern.test(url.pathname));
  if (candidates.length === 0) return sendJson(res, 404, { error: `no route for ${url.pathname}` });
  const route = candidates.find((r) => r.method === req.method);
  if (!route) {
    res.setHeader('allow', candidates.map((r) => r.method).join(', '));
    return sendJson(res, 405, { error: `${req.method} not allowed on ${url.pathname}` });
  }
  const match = route.pattern.exec(url.pathname);
  if (req.method === 'GET' || req.method === 'DELETE') return dispatch(route, match, req, res, url, {});
  readJsonBody(req, (err, body) => {
    if (err) return fail(res, err);
    dispatch(route, match, req, res, url, body);
  });
});

ensureHistoryFile();
server.listen(PORT, () => {
  console.log(`medchem listening on http://localhost:${server.address().port}`);
});
