import { describe } from 'vitest';
import { pipelineTest } from './pipeline.js';

describe('pipeline', () => {
  // Every computation appends a line to data/history.jsonl: the live check's concurrent creates
  // at two edges are two concurrent appends to that file, and both lines must survive.
  pipelineTest('medchem', 'all');
});
