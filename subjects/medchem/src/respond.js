// Small helpers shared by the router and the handlers.
export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const MAX_BODY = 1024 * 1024;

// Collects the request body and parses it as JSON; calls back with (err, body).
export function readJsonBody(req, callback) {
  const chunks = [];
  let size = 0;
  let failed = false;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY && !failed) {
      failed = true;
      callback(new HttpError(413, 'body larger than 1 MB'));
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (failed) return;
    if (size === 0) return callback(null, {});
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
      callback(null, body);
    } catch {
      callback(new HttpError(400, 'body must be a JSON object'));
    }
  });
  req.on('error', (err) => {
    if (!failed) callback(err);
  });
}
