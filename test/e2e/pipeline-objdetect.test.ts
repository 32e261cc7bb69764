import { describe } from 'vitest';
import { pipelineTest } from './pipeline.js';

describe('pipeline', () => {
  // POST /detect creates box rows whose ids it never returns, and DELETE answers {deleted: id}:
  // verify cannot rename those edge-range ids yet (known gap, see the session note).
  pipelineTest('objdetect', 'all', { idRenamingGap: 'box ids and deleted: <id> are not renamed' });
});
