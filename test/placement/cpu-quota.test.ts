/**
 * The adaptive scenario's `--edge-cpu-quota` helpers (src/bench/cpu-quota.ts): the process that
 * listens on a port is found through /proc, and a bad percentage is one clear line. (Holding a
 * process to the quota needs root and a cgroup cpu controller; the run documented in
 * docs/placement-bench.md used it.)
 */
import http from 'node:http';
import { expect, it } from 'vitest';
import { createCpuQuota, pidListeningOn } from '../../src/bench/cpu-quota.js';

it.runIf(process.platform === 'linux')('finds the process listening on a port', async () => {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    expect(pidListeningOn((server.address() as { port: number }).port)).toBe(process.pid);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

it('refuses a percentage outside 1..100', () => {
  expect(() => createCpuQuota('edgstr-test-never', 0)).toThrow(/--edge-cpu-quota: 0 is not a percentage of one core between 1 and 100/);
  expect(() => createCpuQuota('edgstr-test-never', 150)).toThrow(/--edge-cpu-quota: 150/);
});
