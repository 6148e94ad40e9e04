import type { StepContext } from '../../src/core/jobs/plan.js';
import { systemClock } from '../../src/core/runtime/clock.js';
import type { MachineDeps } from '../../src/providers/machine/install.js';
import type { SshPool } from '../../src/providers/ssh/pool.js';
import { silentLog } from '../support/env.js';

/** Machine deps for the lab's sshd hosts: port 22 on each namespace's address, short deadlines, no public HTTPS. */
export const labMachineDeps = (
  auth: MachineDeps['auth'],
  pool: SshPool,
  commandTimeoutMs: number,
): MachineDeps => ({
  clock: systemClock,
  auth,
  pool,
  sshEndpoint: (address) => ({ host: address, port: 22 }),
  publicHealth: () => Promise.reject(new Error('the lab has no public HTTPS')),
  timings: {
    sshDeadlineMs: 5_000,
    healthDeadlineMs: 2_000,
    tlsDeadlineMs: 2_000,
    pollMs: 100,
    commandTimeoutMs,
  },
});

/** A step's context outside any job: nothing earlier, nothing recorded. */
export const labStepContext = (): StepContext => ({
  jobId: 1,
  signal: new AbortController().signal,
  clock: systemClock,
  log: silentLog,
  outputs: {},
  earlier: {},
  record: () => undefined,
});
