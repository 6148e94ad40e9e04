import { defineConfig } from 'vitest/config';

// The fault-injection suite: slower than `npm test`, so it runs on its own (`npm run test:faults`).
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/faults/summary.ts'],
    testTimeout: 60_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
