import { defineConfig } from 'vitest/config';

/**
 * Two tiers. `unit` (npm run test:unit) is pure code and in-process checks that a developer runs
 * on every change: no servers, no spawned CLI, no npm installs. `e2e` is everything else: recorded
 * subjects, generated projects, the CLI's process boundary. `npm test` runs both, unit first.
 */
const UNIT = [
  'test/analyze/init-files.test.ts',
  'test/analyze/instrument.test.ts',
  'test/analyze/render-extracted.test.ts',
  'test/analyze/replay-prefix.test.ts',
  'test/analyze/route-templates.test.ts',
  'test/analyze/start-command.test.ts',
  'test/analyze/units.test.ts',
  'test/bench/bench-core.test.ts',
  'test/bench/report.test.ts',
  'test/bench/svg-chart.test.ts',
  'test/generate/context.test.ts',
  'test/generate/read-snapshot.test.ts',
  'test/helpers/live-stack-parts.test.ts',
  'test/model/**/*.test.ts',
  'test/placement/rule.test.ts',
  'test/record/har-entry.test.ts',
  'test/record/har-writer.test.ts',
  'test/record/pcap.test.ts',
  'test/record/services.test.ts',
  'test/review/decide.test.ts',
  'test/review/plan.test.ts',
  'test/review/present.test.ts',
  'test/review/run-review.test.ts',
  'test/review/subjects.test.ts',
  'test/runtime/compaction.test.ts',
  'test/runtime/file-crdt.test.ts',
  'test/runtime/in-process-dispatch.test.ts',
  'test/runtime/json-crdt.test.ts',
  'test/runtime/key-ranges.test.ts',
  'test/runtime/messages.test.ts',
  'test/runtime/table-store.test.ts',
  'test/runtime/table-sync.test.ts',
  'test/runtime/migrate.test.ts',
  'test/runtime/rw-lock.test.ts',
  'test/verify/compare.test.ts',
  'test/verify/served.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // End-to-end tests start servers on loopback ports; two workers fit a 2-core CI machine.
    maxWorkers: 2,
    env: { NO_COLOR: '1' },
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      // The e2e tier's global setup owns a directory for what is done once per run (recorded subjects).
      { extends: true, test: { name: 'e2e', globalSetup: ['test/helpers/global-setup.ts'], include: ['src/**/*.test.ts', 'test/**/*.test.ts'], exclude: [...UNIT, '**/node_modules/**'] } },
    ],
  },
});
