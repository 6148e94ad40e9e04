import { defineConfig } from 'vitest/config';

// The lab suite runs real validators and OpenSSH's sshd in network namespaces; it needs root.
export default defineConfig({
  test: {
    include: ['test/lab/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
