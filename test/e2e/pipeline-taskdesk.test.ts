import { describe } from 'vitest';
import { pipelineTest } from './pipeline.js';

// A TypeScript server run by tsx (no .js of the app on disk) on Sequelize over sqlite3, with a
// model hook and a transaction on its own connection: every service must be analyzed exactly,
// with entry/exit in the .ts sources, and the generated cloud and edges must run the .ts app.
describe('pipeline', () => {
  pipelineTest('taskdesk', 'all');
});
