import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import { Api, GrammyError } from 'grammy';
import { pino } from 'pino';
import { request } from 'undici';
import { z } from 'zod';
import type { Config } from '../config/index.js';
import { systemClock } from '../core/runtime/clock.js';
import { errorMessage } from '../core/runtime/errors.js';
import { loadRoles } from '../core/fleet/roles.js';
import { openStore } from '../core/store/index.js';
import { createCloudflareClient } from '../providers/cloudflare/client.js';
import { createHetznerClient } from '../providers/hetzner/client.js';
import { missingPinHelp, parseKnownHosts } from '../providers/ssh/knownHosts.js';
import { sshLogin } from '../providers/ssh/login.js';

export type CheckResult = { ok: boolean; detail: string; fix?: string };
type Check = {
  name: string;
  applies: (config: Config) => boolean;
  run: (config: Config) => Promise<CheckResult>;
};

const timeout = (): AbortSignal => AbortSignal.timeout(10_000);
const quiet = pino({ level: 'silent' });
const slackAuth = z.object({
  ok: z.boolean(),
  error: z.string().optional(),
  user: z.string().optional(),
  team: z.string().optional(),
});

/** Every check `fleetbot doctor` knows; each says what it found and, when it fails, how to fix it. */
export const checks: Check[] = [
  {
    name: 'store',
    applies: () => true,
    run: async (config) => {
      try {
        mkdirSync(config.dataDir, { recursive: true });
        accessSync(config.dataDir, constants.W_OK);
        const store = openStore(config.dbPath, systemClock);
        store.cursors.set('doctor', String(Date.now()));
        store.close();
        return { ok: true, detail: `${config.dbPath} is writable` };
      } catch (err) {
        return {
          ok: false,
          detail: `cannot write ${config.dbPath}: ${errorMessage(err)}`,
          fix: 'make FLEETBOT_DATA_DIR a folder the fleetbot user owns (under systemd: StateDirectory=fleetbot)',
        };
      }
    },
  },
  {
    name: 'roles',
    applies: () => true,
    run: async (config) => {
      try {
        const roles = loadRoles(config.rolesDir);
        return { ok: true, detail: `${roles.size} roles: ${[...roles.keys()].join(', ')}` };
      } catch (err) {
        return {
          ok: false,
          detail: errorMessage(err),
          fix: 'fix the role file named above, or point FLEETBOT_ROLES_DIR at templates/roles',
        };
      }
    },
  },
  {
    name: 'telegram',
    applies: (config) => config.telegram !== undefined,
    run: async (config) => {
      const api = new Api(config.telegram!.token, { apiRoot: config.telegram!.apiRoot });
      try {
        const me = await api.getMe(timeout() as Parameters<Api['getMe']>[0]);
        return { ok: true, detail: `token works: the bot is @${me.username}` };
      } catch (err) {
        if (err instanceof GrammyError && err.error_code === 401) {
          return {
            ok: false,
            detail: 'TELEGRAM_BOT_TOKEN was refused (401)',
            fix: 'get the token again from @BotFather (/token) and set TELEGRAM_BOT_TOKEN',
          };
        }
        return {
          ok: false,
          detail: `cannot reach the Bot API at ${config.telegram!.apiRoot}: ${errorMessage(err)}`,
          fix: 'check the network, or TELEGRAM_API_ROOT if you use a local Bot API server',
        };
      }
    },
  },
  {
    name: 'slack',
    applies: (config) => config.slack !== undefined,
    run: async (config) => {
      const slack = config.slack!;
      try {
        const res = await request(`${slack.apiUrl}auth.test`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${slack.botToken}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: '',
          signal: timeout(),
        });
        const body = slackAuth.parse(await res.body.json());
        if (!body.ok) {
          return {
            ok: false,
            detail: `SLACK_BOT_TOKEN was refused (${body.error ?? `HTTP ${res.statusCode}`})`,
            fix: 'copy the Bot User OAuth Token (xoxb-…) again from the app’s OAuth & Permissions page',
          };
        }
        return {
          ok: true,
          detail: `token works: the bot is @${body.user ?? '?'} in ${body.team ?? 'the workspace'}`,
        };
      } catch (err) {
        return {
          ok: false,
          detail: `cannot reach the Slack API at ${slack.apiUrl}: ${errorMessage(err)}`,
          fix: 'check the network, or SLACK_API_URL',
        };
      }
    },
  },
  {
    name: 'hetzner',
    applies: (config) => config.hetzner !== undefined,
    run: async (config) => {
      const client = createHetznerClient({
        token: config.hetzner!.token,
        endpoint: config.hetzner!.endpoint,
        clock: systemClock,
        log: quiet,
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
    applies: (config) => config.hetzner !== undefined,
    run: async (config) => {
      const client = createCloudflareClient({ ...config.hetzner!.cloudflare, clock: systemClock });
      try {
        await client.verify();
        return {
          ok: true,
          detail: `token works for zone ${config.hetzner!.cloudflare.zoneId} (${config.hetzner!.domain})`,
        };
      } catch (err) {
        return { ok: false, detail: errorMessage(err) };
      }
    },
  },
  {
    name: 'ssh hosts',
    applies: (config) => config.sshHosts !== undefined,
    run: async (config) => {
      const { hosts, knownHostsFile } = config.sshHosts!;
      try {
        const pins = parseKnownHosts(readFileSync(knownHostsFile, 'utf8'), knownHostsFile);
        const unpinned = hosts.filter((h) => !pins.keyFor(h.host, h.port));
        if (unpinned.length === 0)
          return { ok: true, detail: `${hosts.length} hosts, each with a pinned key in ${knownHostsFile}` };
        const first = unpinned[0]!;
        return {
          ok: false,
          detail: `no pinned host key for ${unpinned.map((h) => h.name).join(', ')}`,
          fix: missingPinHelp(first.host, first.port, knownHostsFile),
        };
      } catch (err) {
        return {
          ok: false,
          detail: errorMessage(err),
          fix: 'create FLEETBOT_SSH_KNOWN_HOSTS with the host key of each FLEETBOT_SSH_HOSTS entry',
        };
      }
    },
  },
  {
    name: 'ssh key',
    applies: (config) => config.hetzner !== undefined || config.ssh.keyFile !== undefined,
    run: async (config) => {
      try {
        const { publicKeys } = sshLogin(config.ssh);
        return {
          ok: true,
          detail: publicKeys[0]
            ? `${config.ssh.keyFile} is readable (${publicKeys[0].split(' ')[0]})`
            : 'using the SSH agent',
        };
      } catch (err) {
        return { ok: false, detail: errorMessage(err) };
      }
    },
  },
];

/** Runs every check that applies; prints one line each; true when all passed. */
export async function runDoctor(
  config: Config,
  out: (line: string) => void,
  list: Check[] = checks,
): Promise<boolean> {
  let allOk = true;
  for (const check of list.filter((c) => c.applies(config))) {
    const result = await check
      .run(config)
      .catch((err: unknown): CheckResult => ({ ok: false, detail: errorMessage(err) }));
    allOk &&= result.ok;
    out(
      `${result.ok ? '✓' : '✗'} ${check.name}: ${result.detail}${result.ok || !result.fix ? '' : `. Fix: ${result.fix}`}`,
    );
  }
  return allOk;
}
