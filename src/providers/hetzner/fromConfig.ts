import type { Config } from '../../config/index.js';
import type { Clock } from '../../core/runtime/clock.js';
import type { Logger } from '../../core/runtime/logging.js';
import type { Provider } from '../../core/fleet/provider.js';
import { createCloudflareClient } from '../cloudflare/client.js';
import { productionMachineDeps } from '../machine/production.js';
import { sshLogin } from '../ssh/login.js';
import type { SshPool } from '../ssh/pool.js';
import { createHetznerClient, type HetznerClientOptions } from './client.js';
import { createHetznerProvider } from './index.js';

/** The hetzner provider with production timings, built only when its settings are all there. */
export function hetznerFromConfig(
  config: NonNullable<Config['hetzner']>,
  ssh: Config['ssh'],
  clock: Clock,
  pool: SshPool,
  log: Logger,
  observe?: HetznerClientOptions['observe'],
): Provider {
  const login = sshLogin(ssh);
  return createHetznerProvider({
    hetzner: createHetznerClient({
      token: config.token,
      endpoint: config.endpoint,
      clock,
      log: log.child({ api: 'hetzner' }),
      ...(observe ? { observe } : {}),
    }),
    dns: createCloudflareClient({ ...config.cloudflare, clock }),
    domain: config.domain,
    log,
    loginKeys: login.publicKeys,
    sshKeyNames: config.sshKeyNames,
    bootDeadlineMs: 5 * 60_000,
    machine: productionMachineDeps({
      clock,
      auth: login.auth,
      pool,
      acmeCa: config.acmeCa,
      sshEndpoint: (ip) => ({ host: ip, port: 22 }),
    }),
  });
}
