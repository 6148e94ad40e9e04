import { readFileSync } from 'node:fs';
import type { Config } from '../../config/index.js';
import type { Clock } from '../../core/clock.js';
import { UserError } from '../../core/errors.js';
import { checkHealth } from '../../core/healthCheck.js';
import type { Logger } from '../../core/logging.js';
import type { Provider } from '../../core/provider.js';
import { createCloudflareClient } from '../cloudflare/client.js';
import { publicKeyOf } from '../ssh/hostKey.js';
import type { SshAuth } from '../ssh/session.js';
import { createHetznerClient } from './client.js';
import { createHetznerProvider } from './index.js';

/** fleetbot's SSH login from the config: the key file (whose public half new servers authorise) or the agent. */
export function sshLogin(ssh: Config['ssh']): { auth: SshAuth; publicKeys: string[] } {
  if (ssh.keyFile) {
    let privateKey: Buffer;
    try {
      privateKey = readFileSync(ssh.keyFile);
    } catch {
      throw new UserError(
        `FLEETBOT_SSH_KEY: cannot read ${ssh.keyFile}; point it at a private key file fleetbot may read.`,
      );
    }
    return {
      auth: { privateKey, ...(ssh.passphrase ? { passphrase: ssh.passphrase } : {}) },
      publicKeys: [publicKeyOf(privateKey, ssh.passphrase)],
    };
  }
  if (ssh.agentSocket) return { auth: { agent: ssh.agentSocket }, publicKeys: [] };
  throw new UserError(
    'No SSH key: set FLEETBOT_SSH_KEY to a private key file, or run fleetbot with an SSH agent (SSH_AUTH_SOCK).',
  );
}

/** The hetzner provider with production timings, built only when its settings are all there. */
export function hetznerFromConfig(
  config: NonNullable<Config['hetzner']>,
  ssh: Config['ssh'],
  clock: Clock,
  log: Logger,
): Provider {
  const login = sshLogin(ssh);
  return createHetznerProvider({
    hetzner: createHetznerClient({
      token: config.token,
      endpoint: config.endpoint,
      clock,
      log: log.child({ api: 'hetzner' }),
    }),
    dns: createCloudflareClient({ ...config.cloudflare, clock }),
    domain: config.domain,
    log,
    loginKeys: login.publicKeys,
    sshKeyNames: config.sshKeyNames,
    bootDeadlineMs: 5 * 60_000,
    machine: {
      clock,
      auth: login.auth,
      sshEndpoint: (ip) => ({ host: ip, port: 22 }),
      publicHealth: (url, expectName, signal) => checkHealth(url, { timeoutMs: 5_000, expectName, signal }),
      acmeCa: config.acmeCa,
      timings: {
        sshDeadlineMs: 3 * 60_000,
        healthDeadlineMs: 90_000,
        tlsDeadlineMs: 3 * 60_000,
        pollMs: 1_000,
        commandTimeoutMs: 2 * 60_000,
      },
    },
  });
}
