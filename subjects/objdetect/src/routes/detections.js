import { LABELS } from '../labels.js';
import { ImageFormatError } from '../image/decode.js';

const IMAGE_TYPES = ['application/octet-stream', 'image/x-portable-pixmap', 'image/bmp'];
const MAX_IMAGE_BYTES = 8 * 1024 * 1024;

const idParams = {
  type: 'object',
  properties: { id: { type: 'integer', minimum: 1 } },
  required: ['id'],
};

export default async function detectionRoutes(app, { store, detector }) {
  // Images arrive as raw bytes; Fastify's default 1 MB limit is too small for them.
  app.addContentTypeParser(IMAGE_TYPES, { parseAs: 'buffer', bodyLimit: MAX_IMAGE_BYTES }, (req, body, done) => done(null, body));

  app.post('/detect', {
    schema: {
      querystring: {
        type: 'object',
        properties: { name: { type: 'string', minLength: 1, maxLength: 80 }, minScore: { type: 'number', minimum: 0, maximum: 1 } },
      },
    },
  }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body) || request.body.length === 0) {
      return reply.code(400).send({ error: `send the image as the raw body (${IMAGE_TYPES.join(', ')})` });
    }
    let result;
    try {
      result = await detector.detect(request.body);
    } catch (err) {
      if (err instanceof ImageFormatError) return reply.code(400).send({ error: err.message });
      throw err;
    }
    const minScore = request.query.minScore ?? 0;
    const boxes = result.boxes.filter((b) => b.score >= minScore);
    const name = request.query.name ?? 'untitled';
    const id = store.create({ name, hash: result.hash, width: result.width, height: result.height, bytes: request.body.length }, boxes);
    reply.code(201);
    return { id, name, width: result.width, height: result.height, cached: result.cached, boxes };
  });

  app.get('/detections', {
    schema: {
      querystring: {
        type: 'object',
        properties: { label: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
      },
    },
  }, async (request, reply) => {
    const { label = null, limit } = request.query;
    if (label !== null && !LABELS.some((l) => l.name === label)) return reply.code(400).send({ error: `unknown label ${label}` });
    const items = store.list({ label, limit });
    return { count: items.length, items };
  });

  app.get('/detections/:id', { schema: { params: idParams } }, async (request, reply) => {
    const detection = store.find(request.params.id);
    if (!detection) return reply.code(404).send({ error: `no detection ${request.params.id}` });
    return detection;
  });

  app.patch('/detections/:id', {
    schema: {
      params: idParams,
      body: { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 80 } }, required: ['name'] },
    },
  }, async (request, reply) => {
    const { id } = request.params;
    if (!store.rename(id, request.body.name)) return reply.code(404).send({ error: `no detection ${id}` });
    return { id, name: request.body.name };
  });

  app.delete('/detections/:id', { schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params;
    if (!store.remove(id)) return reply.code(404).send({ error: `no detection ${id}` });
    return { deleted: id };
  });

  app.get('/labels', async () => ({ labels: LABELS.map(({ id, name }) => ({ id, name })) }));

  app.get('/stats', async () => ({ ...detector.stats(), stored: store.count() }));
}
