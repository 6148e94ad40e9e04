import { defineConfig } from 'vitest/config';

// The docker suite runs fleetbot's docker and swarm providers against a real Docker Engine (dockerd on
// this host, which `.ci/run` starts); files run one at a time, as they share that one daemon.
export default defineConfig({
  test: {
    include: ['test/docker/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
