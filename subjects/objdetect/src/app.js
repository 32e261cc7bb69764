import Fastify from 'fastify';
import { DetectionStore } from './db/store.js';
import { detector } from './model/detector.js';
import detectionRoutes from './routes/detections.js';

export function buildApp({ dbFile, logger = false }) {
  const app = Fastify({ logger });
  const store = new DetectionStore(dbFile);
  app.register(detectionRoutes, { store, detector });
  app.addHook('onClose', async () => store.close());
  return app;
}
