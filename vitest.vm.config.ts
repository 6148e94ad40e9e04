import { defineConfig } from 'vitest/config';

// The VM lab boots real Debian VMs under qemu (software emulation): root, minutes per scenario.
export default defineConfig({
  test: {
    include: ['test/vm/**/*.test.ts'],
    testTimeout: 10 * 60_000,
    hookTimeout: 20 * 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
