import { defineConfig } from 'vitest/config';

// The lab suite runs real validators and OpenSSH's sshd in network namespaces (it needs root), and a real
// coding agent from npm (OpenCode) over ACP against a scripted model: about 20-45 s, too slow for npm test.
export default defineConfig({
  test: {
    include: ['test/lab/**/*.test.ts', 'test/agents/realAgent*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
