import { readFileSync } from 'node:fs';
import type { Config } from '../../config/index.js';
import type { Clock } from '../../core/runtime/clock.js';
import { UserError } from '../../core/runtime/errors.js';
import type { Provider } from '../../core/fleet/provider.js';
import { productionMachineDeps } from '../machine/production.js';
import { parseKnownHosts } from '../ssh/knownHosts.js';
import { sshLogin } from '../ssh/login.js';
import type { SshPool } from '../ssh/pool.js';
import { createSshHostsProvider, splitEndpoint } from './index.js';

/** The ssh provider with production timings, built when FLEETBOT_SSH_HOSTS is set. */
export function sshHostsFromConfig(
  config: NonNullable<Config['sshHosts']>,
  ssh: Config['ssh'],
  clock: Clock,
  pool: SshPool,
): Provider {
  let text: string;
  try {
    text = readFileSync(config.knownHostsFile, 'utf8');
  } catch {
    throw new UserError(
      `FLEETBOT_SSH_KNOWN_HOSTS: cannot read ${config.knownHostsFile}; create it with the host key of each FLEETBOT_SSH_HOSTS entry.`,
    );
  }
  return createSshHostsProvider({
    hosts: config.hosts,
    knownHosts: parseKnownHosts(text, config.knownHostsFile),
    knownHostsFile: config.knownHostsFile,
    domain: config.domain,
    machine: productionMachineDeps({
      clock,
      auth: sshLogin(ssh).auth,
      pool,
      acmeCa: config.acmeCa,
      sshEndpoint: splitEndpoint,
    }),
  });
}
