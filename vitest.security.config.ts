import { defineConfig } from 'vitest/config';

// The hostile-agent suite (`npm run test:security`): agents, chat members and strangers attacking
// fleetbot; it ends with `security: attempts N, succeeded 0`. Machine parts skip, saying why, where
// root or qemu is missing.
export default defineConfig({
  test: {
    include: ['test/security/**/*.test.ts'],
    globalSetup: ['test/security/summary.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
