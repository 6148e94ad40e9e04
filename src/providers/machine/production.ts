import type { Clock } from '../../core/runtime/clock.js';
import { checkHealth } from '../../core/fleet/healthCheck.js';
import type { SshPool } from '../ssh/pool.js';
import type { SshAuth } from '../ssh/session.js';
import type { MachineDeps } from './install.js';

/** Timings for real machines over the internet, shared by every provider that installs over SSH. */
export const productionMachineDeps = (opts: {
  clock: Clock;
  auth: SshAuth;
  pool: SshPool;
  acmeCa: string | undefined;
  sshEndpoint: MachineDeps['sshEndpoint'];
}): MachineDeps => ({
  ...opts,
  publicHealth: (url, signal) => checkHealth(url, { timeoutMs: 5_000, signal }),
  timings: {
    sshDeadlineMs: 3 * 60_000,
    healthDeadlineMs: 90_000,
    tlsDeadlineMs: 3 * 60_000,
    pollMs: 1_000,
    commandTimeoutMs: 2 * 60_000,
  },
});
