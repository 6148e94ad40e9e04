import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [
      'test/lab/**',
      'test/agents/realAgent*.test.ts',
      'test/vm/**',
      'test/docker/**',
      'test/faults/**',
      'test/security/**',
      'node_modules/**',
    ],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
