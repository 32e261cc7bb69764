import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // End-to-end tests start servers on loopback ports; two workers fit a 2-core CI machine.
    maxWorkers: 2,
    env: { NO_COLOR: '1' },
  },
});
