import { z } from 'zod';

/**
 * How fleetbot reaches the machines agents run on and names them: shared by every provider that
 * logs in to a machine, so they belong to none of them.
 */
export const machineVariables = {
  FLEETBOT_DOMAIN: {
    schema: z
      .string()
      .regex(
        /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
        'a lowercase domain such as agents.example.com',
      )
      .optional(),
    example: 'agents.example.com',
    help: 'Domain under which agents get names (alice.agents.example.com) and TLS certificates.',
  },
  FLEETBOT_SSH_KEY: {
    schema: z.string().min(1).optional(),
    example: '~/.ssh/fleetbot_ed25519',
    help: 'Private key file fleetbot logs in to machines with; the SSH agent (SSH_AUTH_SOCK) is used when unset.',
  },
  FLEETBOT_SSH_KEY_PASSPHRASE: {
    schema: z.string().min(1).optional(),
    example: 'passphrase-of-the-key-file',
    secret: true,
    help: 'Passphrase of FLEETBOT_SSH_KEY, if it has one.',
  },
  FLEETBOT_SSH_KNOWN_HOSTS: {
    schema: z.string().min(1).optional(),
    example: '/etc/fleetbot/known_hosts',
    help: 'known_hosts file with the host key of every host fleetbot did not create (FLEETBOT_SSH_HOSTS entries, an ssh:// DOCKER_HOST); hosts without one are refused.',
  },
  FLEETBOT_ACME_CA: {
    schema: z.url({ protocol: /^https$/, error: 'must be an https ACME directory URL' }).optional(),
    example: 'https://acme-staging-v02.api.letsencrypt.org/directory',
    help: 'ACME directory Caddy uses instead of Let’s Encrypt (a lab or staging); leave unset in production.',
  },
};
