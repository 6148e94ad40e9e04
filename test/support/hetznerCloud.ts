import { systemClock } from '../../src/core/clock.js';
import { createCloudflareClient } from '../../src/providers/cloudflare/client.js';
import { createHetznerClient } from '../../src/providers/hetzner/client.js';
import { createHetznerProvider } from '../../src/providers/hetzner/index.js';
import { generateHostKey } from '../../src/providers/ssh/hostKey.js';
import { createSshPool } from '../../src/providers/ssh/pool.js';
import { startFakeCloudflare } from '../fakes/cloudflare/index.js';
import { startFakeHetzner } from '../fakes/hetzner/index.js';
import { silentLog } from './env.js';
import { fakeMachines, type MachineOptions } from './fakeMachines.js';

export type HetznerCloudOptions = Partial<MachineOptions> & {
  /** Per-request timeout of both API clients; short in fault tests so a held-back answer times out quickly. */
  timeoutMs?: number;
  bootDelayMs?: number;
  pollMs?: number;
};

/** Fake Hetzner and Cloudflare APIs, fake machines behind them, and the real hetzner provider pointed at all three. */
export async function startHetznerCloud(opts: HetznerCloudOptions = {}) {
  const { timeoutMs, bootDelayMs = 60, pollMs, ...timings } = opts;
  const hetzner = await startFakeHetzner({ bootDelayMs, actionDelayMs: 20 });
  const cloudflare = await startFakeCloudflare({ zoneName: 'agents.example.test' });
  const machines = fakeMachines(hetzner, { sshDelayMs: 250, ...timings });
  const login = generateHostKey('fleetbot login');
  const clock = systemClock;
  const pool = createSshPool({ clock, idleMs: 60_000 });
  const retry = { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 };
  const timeout = timeoutMs === undefined ? {} : { timeoutMs };
  const provider = createHetznerProvider({
    hetzner: createHetznerClient({
      token: hetzner.token,
      endpoint: hetzner.endpoint,
      clock,
      log: silentLog,
      pollMs: pollMs ?? 20,
      retry,
      ...timeout,
    }),
    dns: createCloudflareClient({
      token: cloudflare.token,
      zoneId: cloudflare.zoneId,
      apiBase: cloudflare.apiBase,
      clock,
      retry,
      ...timeout,
    }),
    domain: 'agents.example.test',
    log: silentLog,
    loginKeys: [login.publicKey],
    sshKeyNames: [],
    bootDeadlineMs: 5_000,
    machine: {
      clock,
      auth: { privateKey: login.privateKey },
      pool,
      sshEndpoint: machines.sshEndpoint,
      publicHealth: machines.publicHealth,
      timings: {
        sshDeadlineMs: 5_000,
        healthDeadlineMs: 1_500 + (timings.healthDelayMs ?? 0),
        tlsDeadlineMs: 1_500 + (timings.tlsDelayMs ?? 0),
        pollMs: pollMs ?? 50,
        commandTimeoutMs: 10_000,
      },
    },
  });
  return {
    hetzner,
    cloudflare,
    machines,
    provider,
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
