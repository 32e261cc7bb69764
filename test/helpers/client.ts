import { spawn } from 'node:child_process';
import { subjectDir } from './subjects.js';

export interface ClientResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The client's request lines: "METHOD /path?query -> STATUS". */
  lines: string[];
}

const LINE = /^[A-Z]+ \S+ -> \d{3}$/;

/** Runs subjects/NAME/scripts/client.js against baseUrl (through a proxy or not). */
export function runClient(name: string, baseUrl: string, timeoutMs = 120_000): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/client.js', baseUrl], { cwd: subjectDir(name), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, lines: stdout.split('\n').filter((l) => LINE.test(l.trim())).map((l) => l.trim()) });
    });
  });
}
