import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './subjects.js';

const BIN = join(repoRoot, 'bin', 'edgstr');

/** Runs bin/edgstr (built dist/) with NO_COLOR; resolves with its exit code and output, never rejects. */
export function runEdgstr(args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}
