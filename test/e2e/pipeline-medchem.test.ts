import { describe } from 'vitest';
import { pipelineTest } from './pipeline.js';

describe('pipeline', () => {
  // Every computation appends a line to data/history.jsonl. CRDT-Files replicates whole files
  // (last writer wins), so two appends made at the same moment at two edges keep only one line
  // (src/runtime/file-crdt.ts; reported to the lead). The live check still requires identical
  // replicas and at least one of the two writes.
  pipelineTest('medchem', 'all', { concurrentFileAppendsGap: 'concurrent appends to data/history.jsonl: whole-file last writer wins' });
});
