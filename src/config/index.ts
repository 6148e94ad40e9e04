import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { allBridges, type bridgeModules } from '../bridges/index.js';
import { platformIdPattern, type Platform } from '../core/chat/types.js';
import { instanceIdPattern } from '../core/fleet/instance.js';
import { allProviders, defaultProviderName, type providerModules } from '../providers/index.js';
import { errorMessage } from '../core/runtime/errors.js';
import { packageRoot } from '../core/runtime/packageRoot.js';
import { secretValue } from './credentials.js';
import { enabledProviders } from './enabledProviders.js';
import { machineVariables } from './machines.js';
import { resolveSettings, type ResolvedSetting } from './settingsReport.js';
import type { ConfigModule } from './module.js';
import {
  commaList,
  duration,
  homePath,
  type Env,
  type ValuesOf,
  type Variable,
  type Variables,
} from './variables.js';

// The only module that reads the environment. Everything else receives a typed Config.

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
// Typed as plain names, so that the general values' type does not depend on the modules that read them.
const providerNames: readonly string[] = allProviders.map((m) => m.name);

const idRef = z
  .string()
  .regex(platformIdPattern('[A-Za-z0-9_.-]{1,64}'), 'each entry must look like platform:id')
  .transform((entry) => {
    const at = entry.indexOf(':');
    return { platform: entry.slice(0, at) as Platform, id: entry.slice(at + 1) };
  });

const idList = commaList.pipe(z.array(idRef));

/** The variables that belong to no provider or bridge. */
const generalVariables = {
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
    schema: z.enum(providerNames).default(defaultProviderName),
    example: defaultProviderName,
    help: `Where agents run by default: ${providerNames.join(', ')} (default: the first provider on).`,
  },
  FLEETBOT_PROVIDERS: {
    schema: commaList,
    example: 'hetzner,local',
    help: 'Providers to turn on, comma-separated (default: every configured one; local only when no other is).',
  },
  FLEETBOT_ROLES_DIR: {
    schema: z.string().min(1).optional(),
    example: '/etc/fleetbot/roles',
    help: 'Folder of role files (*.yaml); a relative path is from the folder fleetbot starts in (default: the templates/roles fleetbot is installed with).',
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
  FLEETBOT_ASK_PERMISSION_TTL: {
    schema: duration('10m', { min: 10_000, max: 86_400_000 }),
    example: '10m',
    help: 'How long an agent waits for Allow or Reject on a permission request during /ask; then it is rejected.',
  },
  FLEETBOT_AUDIT_PROMPTS: {
    schema: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    example: 'false',
    help: 'Keep the words of /ask prompts in the audit log (true); by default only who, which agent and the size.',
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
  FLEETBOT_PROBE_INTERVAL: {
    schema: duration('10m', { min: 60_000, max: 86_400_000 }),
    example: '10m',
    help: 'How often agents without a daemon are checked by starting their chat command (it costs a process start).',
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
  FLEETBOT_INSTANCE: {
    schema: z
      .string()
      .regex(instanceIdPattern, 'lowercase letters, digits and inner dashes, at most 32')
      .optional(),
    example: 'prod-eu',
    help: 'Which fleetbot this is, on every server label and DNS record comment it makes; it only manages its own (default: an id kept in the store).',
  },
  FLEETBOT_MAX_AGENTS_PER_PERSON: {
    schema: z.coerce.number().int().min(1).max(10_000).optional(),
    example: '5',
    help: 'How many live agents one person may own at once; more deploys are refused (default: no limit).',
  },
  FLEETBOT_HTTP_PORT: {
    schema: z.coerce.number().int().min(1).max(65535).optional(),
    example: '8080',
    help: 'Port for webhook receivers (Telegram webhook mode, Slack HTTP mode), /healthz and /metrics; off when unset.',
  },
  FLEETBOT_HTTP_HOST: {
    schema: z.string().min(1).default('127.0.0.1'),
    example: '127.0.0.1',
    help: 'Address the HTTP port listens on: 127.0.0.1 (behind a reverse proxy) or 0.0.0.0 (every interface).',
  },
  FLEETBOT_METRICS_TOKEN: {
    schema: z.string().min(16, 'at least 16 characters').optional(),
    example: 'a-long-random-string',
    help: 'When set, GET /metrics needs the header "Authorization: Bearer <token>".',
    secret: true,
  },
  FLEETBOT_API_KEY: {
    schema: z.string().startsWith('fbk_', 'an API key from /keys create (fbk_…)').optional(),
    example: 'fbk_…',
    help: 'The API key `fleetbot mcp` acts as, with its scopes; without it `fleetbot mcp` acts as the console’s admin.',
    secret: true,
  },
  LOG_LEVEL: {
    schema: z.enum(logLevels).default('info'),
    example: 'info',
    help: `Log level: ${logLevels.join(', ')}.`,
  },
} satisfies Variables;

/**
 * What every module's cross-checks and settings may read besides its own variables. `chatPlatforms`
 * are the configured bridges other than the console: known once the bridges' settings are read, so
 * providers' settings see them and cross-checks see none.
 */
export type GeneralValues = ValuesOf<typeof generalVariables> &
  ValuesOf<typeof machineVariables> & { chatPlatforms: readonly string[] };

type AnyModule = ConfigModule<string, Variables, unknown>;
const modules: readonly AnyModule[] = [...allBridges, ...allProviders];

/**
 * Every variable: the general ones, each bridge's and provider's, then how machines are reached. A
 * name two modules both declare would give one of them the other's value, so it stops the start.
 */
export const variables: Variables = {};
const tables: Variables[] = [generalVariables, ...modules.map((m) => m.variables), machineVariables];
for (const table of tables)
  for (const [name, variable] of Object.entries(table)) {
    if (name in variables) throw new Error(`the variable ${name} is declared twice`);
    variables[name] = variable;
  }

type SettingsOf<M> = M extends ConfigModule<string, Variables, infer S> ? S : never;
type SettingsByName<L extends readonly AnyModule[]> = {
  [M in L[number] as M['name']]: SettingsOf<M> | undefined;
};
export type ProviderSettings = SettingsByName<typeof providerModules>;
export type BridgeSettings = SettingsByName<typeof bridgeModules>;

/** How fleetbot logs in to machines: a key file (resolved path) or the SSH agent's socket. */
export type SshLoginSettings = {
  keyFile: string | undefined;
  passphrase: string | undefined;
  agentSocket: string | undefined;
};

export type Config = {
  dataDir: string;
  dbPath: string;
  admins: { platform: Platform; id: string }[];
  chats: { platform: Platform; id: string }[];
  /** The provider a /deploy without --provider uses. */
  provider: string;
  rolesDir: string;
  concurrency: number;
  logLevel: (typeof logLevels)[number];
  destroyApproval: 'self' | 'two-person';
  approvalTtlMs: number;
  ask: { permissionTtlMs: number; auditPrompts: boolean };
  commandsPerMinute: number;
  health: {
    intervalMs: number;
    timeoutMs: number;
    probeIntervalMs: number;
    downAfter: number;
    upAfter: number;
  };
  reconcile: { intervalMs: number; orphanAgeMs: number; autoDelete: boolean };
  http: { port: number | undefined; host: string; metricsToken: string | undefined };
  /** FLEETBOT_API_KEY: who `fleetbot mcp` is; undefined means the console's admin. */
  apiKey: string | undefined;
  /** FLEETBOT_INSTANCE; when unset, the id kept in the store (src/core/fleet/instance.ts). */
  instance: string | undefined;
  maxAgentsPerPerson: number | undefined;
  ssh: SshLoginSettings;
  /** Each provider's settings, by name; undefined for a provider that is not configured. */
  providers: ProviderSettings;
  /** Each bridge's settings, by name; undefined for a bridge that is not configured. */
  bridges: BridgeSettings;
  /** fleetbot's own secret values, so the log can censor them wherever they would appear. */
  secrets: string[];
  /** Values of variables that roles ask for (agent secrets): the environment at start, or their files. */
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

/** Each module's settings by its name. */
const settingsOf = (list: readonly AnyModule[], values: GeneralValues, env: Env): Record<string, unknown> =>
  Object.fromEntries(list.map((m) => [m.name, m.settings(values, env)]));

/** Parses the environment into a Config; throws ConfigError naming every bad variable, one per line. */
export function parseConfig(given: Env): Config {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  const env = withSecretFiles(given, problems);
  for (const [name, variable] of Object.entries(variables)) {
    const raw = env[name] === '' ? undefined : env[name];
    const result = variable.schema.safeParse(raw);
    if (result.success) values[name] = result.data;
    else problems.push(describeIssue(name, variable, raw, result.error));
  }
  const v = { ...values, chatPlatforms: [] } as unknown as GeneralValues;
  // Settings that only make sense together, once each one parsed.
  if (problems.length === 0) problems.push(...modules.flatMap((m) => m.crossCheck?.(v) ?? []));
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  const bridges = settingsOf(allBridges, v, env);
  const chatPlatforms = allBridges
    .filter((m) => m.name !== 'console' && bridges[m.name] !== undefined)
    .map((m) => m.name);
  const providers = enabledProviders(settingsOf(allProviders, { ...v, chatPlatforms }, env), {
    listed: v.FLEETBOT_PROVIDERS,
    defaultProvider: env.FLEETBOT_PROVIDER ? v.FLEETBOT_PROVIDER : undefined,
  });
  if (providers.problems.length > 0) throw new ConfigError(providers.problems.join('\n'));
  const snapshot = { ...env };
  return {
    dataDir: path.resolve(v.FLEETBOT_DATA_DIR),
    dbPath:
      v.FLEETBOT_DB === ':memory:'
        ? ':memory:'
        : path.resolve(v.FLEETBOT_DB ?? path.join(v.FLEETBOT_DATA_DIR, 'fleetbot.db')),
    admins: v.FLEETBOT_ADMINS,
    chats: v.FLEETBOT_CHATS,
    provider: providers.provider,
    rolesDir:
      v.FLEETBOT_ROLES_DIR === undefined
        ? path.join(packageRoot, 'templates', 'roles')
        : path.resolve(v.FLEETBOT_ROLES_DIR),
    concurrency: v.FLEETBOT_CONCURRENCY,
    logLevel: v.LOG_LEVEL,
    destroyApproval: v.FLEETBOT_DESTROY_APPROVAL,
    approvalTtlMs: v.FLEETBOT_APPROVAL_TTL,
    ask: { permissionTtlMs: v.FLEETBOT_ASK_PERMISSION_TTL, auditPrompts: v.FLEETBOT_AUDIT_PROMPTS },
    commandsPerMinute: v.FLEETBOT_RATE_LIMIT,
    health: {
      intervalMs: v.FLEETBOT_HEALTH_INTERVAL,
      timeoutMs: v.FLEETBOT_HEALTH_TIMEOUT,
      probeIntervalMs: v.FLEETBOT_PROBE_INTERVAL,
      downAfter: v.FLEETBOT_DOWN_AFTER,
      upAfter: v.FLEETBOT_UP_AFTER,
    },
    reconcile: {
      intervalMs: v.FLEETBOT_RECONCILE_INTERVAL,
      orphanAgeMs: v.FLEETBOT_ORPHAN_AGE,
      autoDelete: v.FLEETBOT_RECONCILE_AUTODELETE,
    },
    http: { port: v.FLEETBOT_HTTP_PORT, host: v.FLEETBOT_HTTP_HOST, metricsToken: v.FLEETBOT_METRICS_TOKEN },
    apiKey: v.FLEETBOT_API_KEY,
    instance: v.FLEETBOT_INSTANCE,
    maxAgentsPerPerson: v.FLEETBOT_MAX_AGENTS_PER_PERSON,
    ssh: {
      keyFile: v.FLEETBOT_SSH_KEY && homePath(v.FLEETBOT_SSH_KEY, env),
      passphrase: v.FLEETBOT_SSH_KEY_PASSPHRASE,
      agentSocket: env.SSH_AUTH_SOCK || undefined,
    },
    // Each module's settings are typed by its own settings function; the registry lists them by name.
    providers: providers.settings as ProviderSettings,
    bridges: bridges as BridgeSettings,
    // A role's secret may be a credential file too, so an agent's key need not sit in fleetbot's environment.
    agentEnv: (name) => {
      try {
        return secretValue(name, snapshot);
      } catch {
        return undefined;
      }
    },
    secrets: secretNames.flatMap((name) => env[name] ?? []),
  };
}

const secretNames = Object.entries(variables).flatMap(([name, v]) => (v.secret ? [name] : []));

/** The environment with each secret variable's value read from its file (NAME_FILE or a systemd credential). */
function withSecretFiles(given: Env, problems: string[]): Env {
  const env = { ...given };
  for (const name of secretNames) {
    try {
      env[name] = secretValue(name, given);
    } catch (err) {
      problems.push(errorMessage(err));
    }
  }
  return env;
}

/**
 * Reads .env (when present), or the env file named (which must exist), into the process environment,
 * then parses it. A file named this way keeps secrets off the command line (`doctor --env-file`).
 */
export function loadConfig(envFile?: string): Config {
  const file = envFileToRead(envFile);
  if (file) process.loadEnvFile(file);
  return parseConfig(process.env);
}

/** The env file `loadConfig` reads: the one named (which must exist), else ./.env when there is one. */
function envFileToRead(envFile: string | undefined): string | undefined {
  if (envFile !== undefined && !existsSync(envFile))
    throw new ConfigError(
      `--env-file ${envFile}: no such file; name the file that holds fleetbot's settings`,
    );
  const file = envFile ?? '.env';
  return existsSync(file) ? file : undefined;
}

/**
 * `fleetbot config`: every variable's value (secrets only as set or unset) and where it came from,
 * once the settings are known to be valid (a ConfigError otherwise, as at start).
 */
export function loadSettingsReport(envFile?: string): {
  envFile: string | undefined;
  settings: ResolvedSetting[];
} {
  const given = { ...process.env };
  const file = envFileToRead(envFile);
  loadConfig(envFile);
  const shown = file && path.resolve(file);
  return { envFile: shown, settings: resolveSettings(variables, given, shown) };
}
