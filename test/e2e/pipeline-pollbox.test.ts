import { describe } from 'vitest';
import { pipelineTest } from './pipeline.js';

// Logins (bearer token and session cookie) and records created during the recording (UUID keys):
// every service must be analyzed exactly and answer at the edge like the original.
describe('pipeline', () => {
  pipelineTest('pollbox', 'all');
});
