import { describe } from 'vitest';
import { pipelineTest } from './pipeline.js';

// An app as people write it: no start script (main only), app.listen(3000), paths relative to
// its working directory, sample photos copied into uploads/ at first start, /items/favorites
// beside /items/:id, ids inside links (subjects/curio/README.md).
describe('pipeline', () => {
  pipelineTest('curio', 'all');
});
