import { defineConfig } from 'vitest/config';

// Tests that load the machine on purpose (300 concurrent speech streams; three dialer processes
// against a private PostgreSQL) run after the rest, one file at a time: their figures must not
// depend on what else happens to run beside them.
const LOAD = ['tests/integration/speech-capacity.test.ts', 'tests/fault/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Calls stream real-time RTP; two workers match the 2-core machines CI runs on.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'main', include: ['tests/**/*.test.ts'], exclude: LOAD } },
      { extends: true, test: { name: 'load', include: LOAD, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
