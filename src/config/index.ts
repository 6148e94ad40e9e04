import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Platform } from '../core/chat/types.js';
import { sshHostEntry, uniqueHostNames, type SshHost } from './sshHosts.js';

// The only module that reads the environment. Everything else receives a typed Config.

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const providerNames = ['local', 'hetzner', 'ssh'] as const;
export type ProviderName = (typeof providerNames)[number];

const idRef = z
  .string()
  .regex(/^(telegram|slack|console):[A-Za-z0-9_.-]{1,64}$/, 'each entry must look like platform:id')
  .transform((entry) => {
    const at = entry.indexOf(':');
    return { platform: entry.slice(0, at) as Platform, id: entry.slice(at + 1) };
  });

/** A comma-separated list, blanks dropped. */
const commaList = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  );

const idList = commaList.pipe(z.array(idRef));

/** An API base URL, kept without a trailing slash so paths can be appended. */
const apiBase = (fallback: string) =>
  z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .default(fallback)
    .transform((u) => u.replace(/\/+$/, ''));

/** `secret` values are never echoed back in an error message. */
type Variable = { schema: z.ZodType; example: string; help: string; secret?: boolean };

/** A duration such as 500ms, 90s, 10m or 1h (plain numbers are seconds), in milliseconds, within bounds. */
const duration = (fallback: string, bounds: { min: number; max: number }) =>
  z
    .string()
    .default(fallback)
    .transform((s, ctx) => {
      const m = /^(\d{1,6})\s*(ms|s|m|h)?$/.exec(s.trim());
      if (!m) {
        ctx.addIssue({ code: 'custom', message: 'a duration such as 500ms, 90s, 10m or 1h' });
        return z.NEVER;
      }
      return (
        Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']
      );
    })
    .pipe(
      z
        .number()
        .min(bounds.min, `at least ${bounds.min / 1000}s`)
        .max(bounds.max, `at most ${bounds.max / 1000}s`),
    );

/** One row per variable: its schema, an example of a good value, and what it is for (.env.example). */
export const variables = {
  FLEETBOT_DATA_DIR: {
    schema: z.string().min(1).default('./data'),
    example: './data',
    help: 'Folder for the SQLite store and local agents.',
  },
  FLEETBOT_DB: {
    schema: z.string().min(1).optional(),
    example: './data/fleetbot.db',
    help: 'SQLite database file (default: fleetbot.db in FLEETBOT_DATA_DIR).',
  },
  FLEETBOT_ADMINS: {
    schema: idList,
    example: 'telegram:123456789,slack:U0123ABCD',
    help: 'Admins, as platform:userId, comma-separated. console:local is always admin on the console.',
  },
  FLEETBOT_CHATS: {
    schema: idList,
    example: 'telegram:-1001234567890',
    help: 'Extra allow-listed chats, as platform:chatId, comma-separated.',
  },
  FLEETBOT_PROVIDER: {
    schema: z.enum(providerNames).default('local'),
    example: 'local',
    help: `Where agents run by default: ${providerNames.join(', ')}.`,
  },
  FLEETBOT_ROLES_DIR: {
    schema: z.string().min(1).default('templates/roles'),
    example: 'templates/roles',
    help: 'Folder of role files (*.yaml).',
  },
  FLEETBOT_CONCURRENCY: {
    schema: z.coerce.number().int().min(1).max(64).default(4),
    example: '4',
    help: 'How many jobs run at once (1-64).',
  },
  FLEETBOT_DESTROY_APPROVAL: {
    schema: z.enum(['self', 'two-person']).default('self'),
    example: 'two-person',
    help: 'Who approves a destroy: self (the requester confirms) or two-person (an admin other than the requester).',
  },
  FLEETBOT_APPROVAL_TTL: {
    schema: duration('10m', { min: 10_000, max: 86_400_000 }),
    example: '10m',
    help: 'How long approval buttons stay valid (e.g. 90s, 10m, 1h).',
  },
  FLEETBOT_RATE_LIMIT: {
    schema: z.coerce.number().int().min(1).max(10_000).default(20),
    example: '20',
    help: 'Commands per minute one person may send; more get a friendly refusal.',
  },
  FLEETBOT_HEALTH_INTERVAL: {
    schema: duration('30s', { min: 1000, max: 3_600_000 }),
    example: '30s',
    help: 'How often every running agent is health-checked.',
  },
  FLEETBOT_HEALTH_TIMEOUT: {
    schema: duration('5s', { min: 100, max: 60_000 }),
    example: '5s',
    help: 'How long one health check may take before it counts as failed.',
  },
  FLEETBOT_DOWN_AFTER: {
    schema: z.coerce.number().int().min(1).max(100).default(3),
    example: '3',
    help: 'Failed checks in a row before an agent counts as down and an alert goes out.',
  },
  FLEETBOT_UP_AFTER: {
    schema: z.coerce.number().int().min(1).max(100).default(2),
    example: '2',
    help: 'Passed checks in a row before a down agent counts as recovered.',
  },
  FLEETBOT_RECONCILE_INTERVAL: {
    schema: duration('10m', { min: 10_000, max: 86_400_000 }),
    example: '10m',
    help: 'How often what the providers report is compared with the store (also at start).',
  },
  FLEETBOT_ORPHAN_AGE: {
    schema: duration('1h', { min: 0, max: 30 * 86_400_000 }),
    example: '1h',
    help: 'How old something fleetbot made but no agent owns must be before it is reported as an orphan.',
  },
  FLEETBOT_RECONCILE_AUTODELETE: {
    schema: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    example: 'false',
    help: 'Delete orphans without asking (true), or report them with a Delete button for admins (false).',
  },
  FLEETBOT_CONSOLE: {
    schema: z.enum(['auto', 'on', 'off']).default('auto'),
    example: 'auto',
    help: 'The terminal as a chat: auto (on when started from a terminal, or when no chat platform is configured), on, off.',
  },
  FLEETBOT_HTTP_PORT: {
    schema: z.coerce.number().int().min(1).max(65535).optional(),
    example: '8080',
    help: 'Port for webhook receivers (Telegram webhook mode, Slack HTTP mode); off when unset.',
  },
  TELEGRAM_BOT_TOKEN: {
    schema: z
      .string()
      .regex(/^\d{1,20}:[A-Za-z0-9_-]{1,100}$/, 'a bot token from @BotFather looks like 123456789:AAE...')
      .optional(),
    example: '123456789:AAExampleTokenFromBotFather',
    secret: true,
    help: 'Telegram bot token from @BotFather; enables the Telegram bridge.',
  },
  TELEGRAM_API_ROOT: {
    schema: apiBase('https://api.telegram.org'),
    example: 'https://api.telegram.org',
    help: 'Bot API server (a local Bot API server or a proxy).',
  },
  TELEGRAM_WEBHOOK_URL: {
    schema: z
      .url({ protocol: /^https$/, error: 'must be the public https URL Telegram should post to' })
      .optional(),
    example: 'https://bot.example.com/telegram',
    help: 'Public URL for webhook mode (needs TELEGRAM_WEBHOOK_SECRET and FLEETBOT_HTTP_PORT); long polling when unset.',
  },
  TELEGRAM_WEBHOOK_SECRET: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,256}$/, '16-256 characters of A-Z, a-z, 0-9, _ and -')
      .optional(),
    example: 'a-long-random-string-0123456789',
    secret: true,
    help: 'Secret Telegram sends with every webhook request; others are refused.',
  },
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
  FLEETBOT_SSH_HOSTS: {
    schema: commaList.pipe(z.array(sshHostEntry)).superRefine(uniqueHostNames),
    example: 'lab1=agent@203.0.113.7,lab2=root@198.51.100.4:2222',
    help: 'Hosts you already have for the ssh provider, as name=user@host[:port], comma-separated.',
  },
  FLEETBOT_SSH_KNOWN_HOSTS: {
    schema: z.string().min(1).optional(),
    example: '/etc/fleetbot/known_hosts',
    help: 'known_hosts file with the host key of every FLEETBOT_SSH_HOSTS entry; hosts without one are refused.',
  },
  FLEETBOT_ACME_CA: {
    schema: z.url({ protocol: /^https$/, error: 'must be an https ACME directory URL' }).optional(),
    example: 'https://acme-staging-v02.api.letsencrypt.org/directory',
    help: 'ACME directory Caddy uses instead of Let’s Encrypt (a lab or staging); leave unset in production.',
  },
  SLACK_BOT_TOKEN: {
    schema: z
      .string()
      .regex(/^xoxb-[A-Za-z0-9-]{10,250}$/, 'a Slack bot token looks like xoxb-…')
      .optional(),
    example: 'xoxb-0000000000-0000000000000-ExampleBotToken',
    secret: true,
    help: 'Slack bot token (xoxb-…, OAuth & Permissions); enables the Slack bridge.',
  },
  SLACK_APP_TOKEN: {
    schema: z
      .string()
      .regex(/^xapp-[A-Za-z0-9-]{10,250}$/, 'a Slack app-level token looks like xapp-…')
      .optional(),
    example: 'xapp-1-A0000000000-0000000000000-ExampleAppToken',
    secret: true,
    help: 'App-level token (xapp-…, scope connections:write) for Socket Mode, which needs no public URL.',
  },
  SLACK_SIGNING_SECRET: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9]{16,128}$/, 'the signing secret from the app’s Basic Information page')
      .optional(),
    example: '0123456789abcdef0123456789abcdef',
    secret: true,
    help: 'Signing secret for HTTP mode (when SLACK_APP_TOKEN is unset): Slack posts to /slack/events on FLEETBOT_HTTP_PORT.',
  },
  SLACK_API_URL: {
    schema: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .default('https://slack.com/api/')
      .transform((u) => u.replace(/\/*$/, '/')),
    example: 'https://slack.com/api/',
    help: 'Slack Web API base, also used to open Socket Mode connections (a proxy or a test fake).',
  },
  LOG_LEVEL: {
    schema: z.enum(logLevels).default('info'),
    example: 'info',
    help: `Log level: ${logLevels.join(', ')}.`,
  },
} satisfies Record<string, Variable>;

type Values = { [K in keyof typeof variables]: z.output<(typeof variables)[K]['schema']> };

export type Config = {
  dataDir: string;
  dbPath: string;
  admins: { platform: Platform; id: string }[];
  chats: { platform: Platform; id: string }[];
  provider: ProviderName;
  rolesDir: string;
  concurrency: number;
  logLevel: (typeof logLevels)[number];
  console: 'auto' | 'on' | 'off';
  destroyApproval: 'self' | 'two-person';
  approvalTtlMs: number;
  commandsPerMinute: number;
  health: { intervalMs: number; timeoutMs: number; downAfter: number; upAfter: number };
  reconcile: { intervalMs: number; orphanAgeMs: number; autoDelete: boolean };
  httpPort: number | undefined;
  telegram: { token: string; apiRoot: string; webhook?: { url: string; secret: string } } | undefined;
  hetzner:
    | {
        token: string;
        endpoint: string;
        sshKeyNames: string[];
        cloudflare: { token: string; zoneId: string; apiBase: string };
        domain: string;
        acmeCa: string | undefined;
      }
    | undefined;
  /** Hosts for the ssh provider and the file that pins their host keys. */
  sshHosts:
    | { hosts: SshHost[]; knownHostsFile: string; domain: string | undefined; acmeCa: string | undefined }
    | undefined;
  /** How fleetbot logs in to machines: a key file (resolved path) or the SSH agent's socket. */
  ssh: { keyFile: string | undefined; passphrase: string | undefined; agentSocket: string | undefined };
  slack:
    | {
        botToken: string;
        apiUrl: string;
        mode: { kind: 'socket'; appToken: string } | { kind: 'http'; signingSecret: string };
      }
    | undefined;
  /** Values of variables that roles ask for (agent secrets); read once at start. */
  agentEnv: (name: string) => string | undefined;
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function describeIssue(name: string, variable: Variable, raw: string | undefined, error: z.ZodError): string {
  const problem = error.issues[0]?.message ?? 'invalid value';
  const got =
    raw === undefined || variable.secret
      ? ''
      : ` (got ${JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw)})`;
  return `${name}: ${problem}${got}; example: ${name}=${variable.example}`;
}

/** Settings that only make sense together. */
function crossCheck(v: Values): string[] {
  const problems: string[] = [];
  if (v.TELEGRAM_WEBHOOK_URL) {
    if (!v.TELEGRAM_BOT_TOKEN)
      problems.push('TELEGRAM_WEBHOOK_URL: set TELEGRAM_BOT_TOKEN too, or remove the webhook URL');
    if (!v.TELEGRAM_WEBHOOK_SECRET) {
      problems.push(
        `TELEGRAM_WEBHOOK_URL: webhook mode needs TELEGRAM_WEBHOOK_SECRET so forged updates are refused; example: TELEGRAM_WEBHOOK_SECRET=${variables.TELEGRAM_WEBHOOK_SECRET.example}`,
      );
    }
    if (!v.FLEETBOT_HTTP_PORT)
      problems.push(
        'TELEGRAM_WEBHOOK_URL: webhook mode needs FLEETBOT_HTTP_PORT; example: FLEETBOT_HTTP_PORT=8080',
      );
  }
  if (v.HCLOUD_TOKEN) {
    const need = {
      CLOUDFLARE_API_TOKEN: v.CLOUDFLARE_API_TOKEN,
      CLOUDFLARE_ZONE_ID: v.CLOUDFLARE_ZONE_ID,
      FLEETBOT_DOMAIN: v.FLEETBOT_DOMAIN,
    };
    for (const [name, value] of Object.entries(need))
      if (!value)
        problems.push(
          `HCLOUD_TOKEN: the hetzner provider also needs ${name}; example: ${name}=${variables[name as keyof typeof need].example}`,
        );
    if (!v.FLEETBOT_SSH_KEY && v.HCLOUD_SSH_KEYS.length === 0)
      problems.push(
        'HCLOUD_TOKEN: new servers need a login key: set FLEETBOT_SSH_KEY (a private key file) or HCLOUD_SSH_KEYS (keys registered in the Hetzner project, with the SSH agent holding one)',
      );
  }
  if (v.FLEETBOT_SSH_HOSTS.length > 0 && !v.FLEETBOT_SSH_KNOWN_HOSTS)
    problems.push(
      `FLEETBOT_SSH_HOSTS: fleetbot never trusts a host key on first use; set FLEETBOT_SSH_KNOWN_HOSTS to a known_hosts file with each host's key (ssh-keyscan from a trusted network, or the server's /etc/ssh/ssh_host_ed25519_key.pub); example: FLEETBOT_SSH_KNOWN_HOSTS=${variables.FLEETBOT_SSH_KNOWN_HOSTS.example}`,
    );
  if (v.FLEETBOT_PROVIDER === 'ssh' && v.FLEETBOT_SSH_HOSTS.length === 0)
    problems.push(
      `FLEETBOT_PROVIDER: ssh needs FLEETBOT_SSH_HOSTS; example: FLEETBOT_SSH_HOSTS=${variables.FLEETBOT_SSH_HOSTS.example}`,
    );
  if (v.FLEETBOT_PROVIDER === 'hetzner' && !v.HCLOUD_TOKEN)
    problems.push(
      'FLEETBOT_PROVIDER: hetzner needs HCLOUD_TOKEN (and the Cloudflare settings); or use local',
    );
  if (v.SLACK_BOT_TOKEN) {
    if (!v.SLACK_APP_TOKEN && !v.SLACK_SIGNING_SECRET)
      problems.push(
        `SLACK_BOT_TOKEN: set SLACK_APP_TOKEN for Socket Mode (no public URL needed), or SLACK_SIGNING_SECRET and FLEETBOT_HTTP_PORT for HTTP mode; example: SLACK_APP_TOKEN=${variables.SLACK_APP_TOKEN.example}`,
      );
    else if (!v.SLACK_APP_TOKEN && !v.FLEETBOT_HTTP_PORT)
      problems.push(
        'SLACK_SIGNING_SECRET: HTTP mode needs FLEETBOT_HTTP_PORT; example: FLEETBOT_HTTP_PORT=8080',
      );
  } else if (v.SLACK_APP_TOKEN || v.SLACK_SIGNING_SECRET) {
    problems.push(
      `SLACK_BOT_TOKEN: the Slack bridge needs its bot token too; example: SLACK_BOT_TOKEN=${variables.SLACK_BOT_TOKEN.example}`,
    );
  }
  return problems;
}

/** Socket Mode when there is an app-level token, else HTTP mode; crossCheck refused anything else. */
function slackConfig(v: Values): Config['slack'] {
  if (!v.SLACK_BOT_TOKEN) return undefined;
  const base = { botToken: v.SLACK_BOT_TOKEN, apiUrl: v.SLACK_API_URL };
  if (v.SLACK_APP_TOKEN) return { ...base, mode: { kind: 'socket', appToken: v.SLACK_APP_TOKEN } };
  if (v.SLACK_SIGNING_SECRET)
    return { ...base, mode: { kind: 'http', signingSecret: v.SLACK_SIGNING_SECRET } };
  return undefined;
}

/** A file path with a leading ~/ meaning the home folder, made absolute. */
const homePath = (file: string, env: Record<string, string | undefined>): string =>
  path.resolve(file.replace(/^~(?=\/)/, env.HOME ?? '~'));

/** Parses the environment into a Config; throws ConfigError naming every bad variable, one per line. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, variable] of Object.entries(variables) as [string, Variable][]) {
    const raw = env[name] === '' ? undefined : env[name];
    const result = variable.schema.safeParse(raw);
    if (result.success) values[name] = result.data;
    else problems.push(describeIssue(name, variable, raw, result.error));
  }
  const v = values as Values;
  if (problems.length === 0) problems.push(...crossCheck(v));
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  const snapshot = { ...env };
  return {
    dataDir: path.resolve(v.FLEETBOT_DATA_DIR),
    dbPath:
      v.FLEETBOT_DB === ':memory:'
        ? ':memory:'
        : path.resolve(v.FLEETBOT_DB ?? path.join(v.FLEETBOT_DATA_DIR, 'fleetbot.db')),
    admins: v.FLEETBOT_ADMINS,
    chats: v.FLEETBOT_CHATS,
    provider: v.FLEETBOT_PROVIDER,
    rolesDir: path.resolve(v.FLEETBOT_ROLES_DIR),
    concurrency: v.FLEETBOT_CONCURRENCY,
    logLevel: v.LOG_LEVEL,
    console: v.FLEETBOT_CONSOLE,
    destroyApproval: v.FLEETBOT_DESTROY_APPROVAL,
    approvalTtlMs: v.FLEETBOT_APPROVAL_TTL,
    commandsPerMinute: v.FLEETBOT_RATE_LIMIT,
    health: {
      intervalMs: v.FLEETBOT_HEALTH_INTERVAL,
      timeoutMs: v.FLEETBOT_HEALTH_TIMEOUT,
      downAfter: v.FLEETBOT_DOWN_AFTER,
      upAfter: v.FLEETBOT_UP_AFTER,
    },
    reconcile: {
      intervalMs: v.FLEETBOT_RECONCILE_INTERVAL,
      orphanAgeMs: v.FLEETBOT_ORPHAN_AGE,
      autoDelete: v.FLEETBOT_RECONCILE_AUTODELETE,
    },
    httpPort: v.FLEETBOT_HTTP_PORT,
    telegram: v.TELEGRAM_BOT_TOKEN
      ? {
          token: v.TELEGRAM_BOT_TOKEN,
          apiRoot: v.TELEGRAM_API_ROOT,
          ...(v.TELEGRAM_WEBHOOK_URL && v.TELEGRAM_WEBHOOK_SECRET
            ? { webhook: { url: v.TELEGRAM_WEBHOOK_URL, secret: v.TELEGRAM_WEBHOOK_SECRET } }
            : {}),
        }
      : undefined,
    hetzner:
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
    sshHosts:
      v.FLEETBOT_SSH_HOSTS.length > 0 && v.FLEETBOT_SSH_KNOWN_HOSTS
        ? {
            hosts: v.FLEETBOT_SSH_HOSTS,
            knownHostsFile: homePath(v.FLEETBOT_SSH_KNOWN_HOSTS, env),
            domain: v.FLEETBOT_DOMAIN,
            acmeCa: v.FLEETBOT_ACME_CA,
          }
        : undefined,
    ssh: {
      keyFile: v.FLEETBOT_SSH_KEY && homePath(v.FLEETBOT_SSH_KEY, env),
      passphrase: v.FLEETBOT_SSH_KEY_PASSPHRASE,
      agentSocket: env.SSH_AUTH_SOCK || undefined,
    },
    slack: slackConfig(v),
    agentEnv: (name) => snapshot[name],
  };
}

/** Reads .env (when present) into the process environment, then parses it. */
export function loadConfig(envFile = '.env'): Config {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  return parseConfig(process.env);
}
