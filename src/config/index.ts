import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Platform } from '../core/types.js';

// The only module that reads the environment. Everything else receives a typed Config.

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const providerNames = ['local'] as const;
export type ProviderName = (typeof providerNames)[number];

const idRef = z
  .string()
  .regex(/^(telegram|slack|console):[A-Za-z0-9_.-]{1,64}$/, 'each entry must look like platform:id')
  .transform((entry) => {
    const at = entry.indexOf(':');
    return { platform: entry.slice(0, at) as Platform, id: entry.slice(at + 1) };
  });

const idList = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  )
  .pipe(z.array(idRef));

type Variable = { schema: z.ZodType; example: string; help: string };

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
  /** Values of variables that roles ask for (agent secrets); read once at start. */
  agentEnv: (name: string) => string | undefined;
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function describeIssue(name: string, variable: Variable, raw: string | undefined, error: z.ZodError): string {
  const problem = error.issues[0]?.message ?? 'invalid value';
  const got =
    raw === undefined ? '' : ` (got ${JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw)})`;
  return `${name}: ${problem}${got}; example: ${name}=${variable.example}`;
}

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
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  const v = values as Values;
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
    agentEnv: (name) => snapshot[name],
  };
}

/** Reads .env (when present) into the process environment, then parses it. */
export function loadConfig(envFile = '.env'): Config {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  return parseConfig(process.env);
}
