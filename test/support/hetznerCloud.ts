import { systemClock } from '../../src/core/runtime/clock.js';
import { createCloudflareClient } from '../../src/providers/cloudflare/client.js';
import { createHetznerClient } from '../../src/providers/hetzner/client.js';
import { createHetznerProvider } from '../../src/providers/hetzner/index.js';
import { generateHostKey } from '../../src/providers/ssh/hostKey.js';
import { createSshPool, type SshPool } from '../../src/providers/ssh/pool.js';
import { startFakeCloudflare } from '../fakes/cloudflare/index.js';
import { startFakeHetzner } from '../fakes/hetzner/index.js';
import { silentLog } from './env.js';
import { fakeMachines, type MachineOptions } from './fakeMachines.js';
import type { machineAccess } from './machineDirectory.js';

export type HetznerCloudOptions = Partial<MachineOptions> & {
  /** Per-request timeout of both API clients; short in fault tests so a held-back answer times out quickly. */
  timeoutMs?: number;
  bootDelayMs?: number;
  pollMs?: number;
  /** The fleetbot instance id the provider labels with (a second fleetbot on the same clouds differs). */
  instance?: string;
};

/** Where the fake clouds answer and the key fleetbot logs in with: all a bot in another process needs. */
export type FakeCloudEndpoints = {
  hetzner: { endpoint: string; token: string };
  cloudflare: { apiBase: string; token: string; zoneId: string };
  login: { privateKey: string; publicKey: string };
};

/** The real hetzner provider with test timings, pointed at the fake clouds and machines. */
export function fakeCloudProvider(
  to: FakeCloudEndpoints,
  access: ReturnType<typeof machineAccess>,
  pool: SshPool,
  opts: HetznerCloudOptions = {},
) {
  const { timeoutMs, pollMs } = opts;
  const clock = systemClock;
  const retry = { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 };
  const timeout = timeoutMs === undefined ? {} : { timeoutMs };
  return createHetznerProvider({
    hetzner: createHetznerClient({
      ...to.hetzner,
      clock,
      log: silentLog,
      pollMs: pollMs ?? 20,
      retry,
      ...timeout,
    }),
    dns: createCloudflareClient({ ...to.cloudflare, clock, retry, ...timeout }),
    domain: 'agents.example.test',
    instance: opts.instance ?? 'test-fleetbot',
    log: silentLog,
    loginKeys: [to.login.publicKey],
    sshKeyNames: [],
    bootDeadlineMs: 5_000,
    machine: {
      clock,
      auth: { privateKey: to.login.privateKey },
      pool,
      ...access,
      timings: {
        sshDeadlineMs: 5_000,
        healthDeadlineMs: 1_500 + (opts.healthDelayMs ?? 0),
        tlsDeadlineMs: 1_500 + (opts.tlsDelayMs ?? 0),
        pollMs: pollMs ?? 50,
        commandTimeoutMs: 10_000,
      },
    },
  });
}

/** Fake Hetzner and Cloudflare APIs, fake machines behind them, and the real hetzner provider pointed at all three. */
export async function startHetznerCloud(opts: HetznerCloudOptions = {}) {
  const hetzner = await startFakeHetzner({ bootDelayMs: opts.bootDelayMs ?? 60, actionDelayMs: 20 });
  const cloudflare = await startFakeCloudflare({ zoneName: 'agents.example.test' });
  const machines = fakeMachines(hetzner, { sshDelayMs: 250, ...opts });
  const endpoints: FakeCloudEndpoints = {
    hetzner: { endpoint: hetzner.endpoint, token: hetzner.token },
    cloudflare: { apiBase: cloudflare.apiBase, token: cloudflare.token, zoneId: cloudflare.zoneId },
    login: generateHostKey('fleetbot login'),
  };
  const pool = createSshPool({ clock: systemClock, idleMs: 60_000 });
  return {
    hetzner,
    cloudflare,
    machines,
    endpoints,
    provider: fakeCloudProvider(endpoints, machines, pool, opts),
    async close(): Promise<void> {
      pool.close();
      await machines.close();
      hetzner.assertNoViolations();
      cloudflare.assertNoViolations();
      await hetzner.close();
      await cloudflare.close();
    },
  };
}
export type HetznerCloud = Awaited<ReturnType<typeof startHetznerCloud>>;
