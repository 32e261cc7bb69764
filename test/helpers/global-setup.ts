/**
 * vitest global setup of the e2e tier: one directory this run owns, for what is worth doing once
 * per run rather than once per test file (each subject's recorded traffic: recorded.ts). The
 * workers read it with `inject('edgstrRunDir')`; it is removed when the run ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'edgstr-run-'));
  project.provide('edgstrRunDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
