import { pino } from 'pino';
import { z } from 'zod';
import { machineVariables } from '../../config/machines.js';
import { apiBase, commaList } from '../../config/variables.js';
import { systemClock } from '../../core/runtime/clock.js';
import { errorMessage } from '../../core/runtime/errors.js';
import { createCloudflareClient } from '../cloudflare/client.js';
import { productionMachineDeps } from '../machine/production.js';
import { defineProviderModule } from '../module.js';
import { sshLogin } from '../ssh/login.js';
import { createHetznerClient } from './client.js';
import { createHetznerProvider } from './index.js';
import { hetznerRoleSettings } from './roleSettings.js';

export type HetznerSettings = {
  token: string;
  endpoint: string;
  sshKeyNames: string[];
  cloudflare: { token: string; zoneId: string; apiBase: string };
  domain: string;
  acmeCa: string | undefined;
};

const variables = {
  HCLOUD_TOKEN: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9]{20,128}$/, 'a Hetzner Cloud API token is 64 letters and digits')
      .optional(),
    example: 'your-64-character-read-write-project-token',
    secret: true,
    help: 'Hetzner Cloud API token (Read & Write); enables the hetzner provider. Console → project → Security → API tokens.',
  },
  HCLOUD_ENDPOINT: {
    schema: apiBase('https://api.hetzner.cloud/v1'),
    example: 'https://api.hetzner.cloud/v1',
    help: 'Hetzner Cloud API base URL.',
  },
  HCLOUD_SSH_KEYS: {
    schema: commaList,
    example: 'ops-laptop',
    help: 'Names of SSH keys registered in the Hetzner project to add to every server, comma-separated.',
  },
  CLOUDFLARE_API_TOKEN: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_-]{20,100}$/, 'a Cloudflare API token is 40 letters, digits, _ and -')
      .optional(),
    example: 'your-40-character-cloudflare-api-token',
    secret: true,
    help: 'Cloudflare API token with Zone → DNS → Edit on the agents’ zone (hetzner provider).',
  },
  CLOUDFLARE_ZONE_ID: {
    schema: z
      .string()
      .regex(/^[0-9a-f]{32}$/, 'the 32-character Zone ID from the zone’s Overview page')
      .optional(),
    example: '023e105f4ecef8ad9ca31a8372d0c353',
    help: 'Cloudflare Zone ID of FLEETBOT_DOMAIN (hetzner provider).',
  },
  CLOUDFLARE_API_BASE: {
    schema: apiBase('https://api.cloudflare.com/client/v4'),
    example: 'https://api.cloudflare.com/client/v4',
    help: 'Cloudflare API base URL.',
  },
};

const timeout = (): AbortSignal => AbortSignal.timeout(10_000);

/** Agents on their own Hetzner Cloud server, behind a Cloudflare DNS name and Caddy's TLS. */
export const hetznerModule = defineProviderModule({
  name: 'hetzner',
  variables,
  crossCheck: (v) => {
    const problems: string[] = [];
    if (v.HCLOUD_TOKEN) {
      const need = [
        ['CLOUDFLARE_API_TOKEN', v.CLOUDFLARE_API_TOKEN, variables.CLOUDFLARE_API_TOKEN.example],
        ['CLOUDFLARE_ZONE_ID', v.CLOUDFLARE_ZONE_ID, variables.CLOUDFLARE_ZONE_ID.example],
        ['FLEETBOT_DOMAIN', v.FLEETBOT_DOMAIN, machineVariables.FLEETBOT_DOMAIN.example],
      ] as const;
      for (const [name, value, example] of need)
        if (!value)
          problems.push(`HCLOUD_TOKEN: the hetzner provider also needs ${name}; example: ${name}=${example}`);
      if (!v.FLEETBOT_SSH_KEY && v.HCLOUD_SSH_KEYS.length === 0)
        problems.push(
          'HCLOUD_TOKEN: new servers need a login key: set FLEETBOT_SSH_KEY (a private key file) or HCLOUD_SSH_KEYS (keys registered in the Hetzner project, with the SSH agent holding one)',
        );
    }
    if (v.FLEETBOT_PROVIDER === 'hetzner' && !v.HCLOUD_TOKEN)
      problems.push(
        'FLEETBOT_PROVIDER: hetzner needs HCLOUD_TOKEN (and the Cloudflare settings); or use local',
      );
    return problems;
  },
  settings: (v): HetznerSettings | undefined =>
    v.HCLOUD_TOKEN && v.CLOUDFLARE_API_TOKEN && v.CLOUDFLARE_ZONE_ID && v.FLEETBOT_DOMAIN
      ? {
          token: v.HCLOUD_TOKEN,
          endpoint: v.HCLOUD_ENDPOINT,
          sshKeyNames: v.HCLOUD_SSH_KEYS,
          cloudflare: {
            token: v.CLOUDFLARE_API_TOKEN,
            zoneId: v.CLOUDFLARE_ZONE_ID,
            apiBase: v.CLOUDFLARE_API_BASE,
          },
          domain: v.FLEETBOT_DOMAIN,
          acmeCa: v.FLEETBOT_ACME_CA,
        }
      : undefined,
  roleSettings: hetznerRoleSettings,
  deployFlags: {
    type: {
      schema: z.string().regex(/^[a-z0-9-]{1,32}$/, '--type is a server type name such as cx23'),
      placeholder: 'T',
    },
    location: {
      schema: z.string().regex(/^[a-z0-9-]{1,32}$/, '--location is a location name such as nbg1'),
      placeholder: 'L',
    },
  },
  needsLoginKey: true,
  doctor: [
    {
      name: 'hetzner',
      run: async (settings) => {
        const client = createHetznerClient({
          token: settings.token,
          endpoint: settings.endpoint,
          clock: systemClock,
          log: pino({ level: 'silent' }),
          retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
        });
        try {
          const servers = await client.listServers('managed-by=fleetbot', timeout());
          return { ok: true, detail: `token works: ${servers.length} fleetbot servers in the project` };
        } catch (err) {
          return { ok: false, detail: errorMessage(err) };
        }
      },
    },
    {
      name: 'cloudflare',
      run: async (settings) => {
        const client = createCloudflareClient({ ...settings.cloudflare, clock: systemClock });
        try {
          await client.verify();
          return {
            ok: true,
            detail: `token works for zone ${settings.cloudflare.zoneId} (${settings.domain})`,
          };
        } catch (err) {
          return { ok: false, detail: errorMessage(err) };
        }
      },
    },
  ],
  create: (settings, shared) => {
    const login = sshLogin(shared.login);
    return createHetznerProvider({
      hetzner: createHetznerClient({
        token: settings.token,
        endpoint: settings.endpoint,
        clock: shared.clock,
        log: shared.log.child({ api: 'hetzner' }),
        observe: (call) => {
          shared.metrics.cloudCall('hetzner', call.method, call.outcome);
          if (call.remaining !== undefined) shared.metrics.cloudBudget('hetzner', call.remaining);
        },
      }),
      dns: createCloudflareClient({ ...settings.cloudflare, clock: shared.clock }),
      domain: settings.domain,
      instance: shared.instance,
      log: shared.log,
      loginKeys: login.publicKeys,
      sshKeyNames: settings.sshKeyNames,
      bootDeadlineMs: 5 * 60_000,
      machine: productionMachineDeps({
        clock: shared.clock,
        auth: login.auth,
        pool: shared.sshPool,
        acmeCa: settings.acmeCa,
        sshEndpoint: (ip) => ({ host: ip, port: 22 }),
      }),
    });
  },
});
