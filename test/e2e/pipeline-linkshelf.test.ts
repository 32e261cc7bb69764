import { describe } from 'vitest';
import { pipelineTest } from './pipeline.js';

// An app folder that holds more than the server (a React front-end in ESM/JSX, a 3 MB bundle,
// build/migrate scripts, an ESM test), a knex pool that connects on the first query inside a
// request, and a module-level node-cache written through its own methods (issue #11 items 1, 4, 5).
describe('pipeline', () => {
  pipelineTest('linkshelf', 'all');
});
