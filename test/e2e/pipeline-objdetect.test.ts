import { describe } from 'vitest';
import { pipelineTest } from './pipeline.js';

describe('pipeline', () => {
  pipelineTest('objdetect', 'all');
});
