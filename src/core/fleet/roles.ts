import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { levels } from '../access/levels.js';
import { duration } from '../runtime/duration.js';

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'environment variable names are UPPER_SNAKE_CASE');

/** An npm package as `npm install` takes it: a (scoped) name and an optional version or range. */
const npmPackage = z
  .string()
  .regex(
    /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*(@[A-Za-z0-9._^~<>=*|-]+)?$/,
    'an npm package such as @zed-industries/claude-agent-acp or opencode-ai@1.18.33',
  );

/** What every `chat` section has, whichever protocol it names. */
const chatCommon = {
  /** Who may talk to the agent. */
  level: z.enum(levels).default('operator'),
  /** How long a conversation's process or connection is kept between turns. */
  idle: duration('30m', { min: 60_000, max: 86_400_000 }),
};

/**
 * One schema per protocol (`protocol: <name>` plus its own fields), from src/protocols/index.ts, and
 * whether the protocol talks to the agent's daemon (its port), so a role without one cannot name it.
 */
export type ChatSections = Record<string, { schema: z.ZodObject; needsDaemon: boolean }>;

const chatSchemaWith = (chatSections: ChatSections) => {
  const [first, ...rest] = Object.values(chatSections).map((s) => s.schema.extend(chatCommon).strict());
  return first ? z.discriminatedUnion('protocol', [first, ...rest]) : z.never();
};

/**
 * A role file's schema; `providers` holds one optional section per provider that has one, `chat`
 * the optional section of one protocol.
 */
const roleSchemaWith = (providerSections: Record<string, z.ZodType>, chatSections: ChatSections) =>
  z
    .object({
      name: z
        .string()
        .regex(/^[a-z][a-z0-9-]{0,31}$/, 'role names are lowercase letters, digits and hyphens'),
      description: z.string().min(1).max(200),
      agent: z
        .object({
          /**
           * argv of the agent's daemon; paths starting with ./ or ../ are relative to the role file.
           * Without it (and its port) the agent has no daemon: it runs only when spoken to (`chat`).
           */
          command: z.array(z.string().min(1)).min(1).optional(),
          port: z.number().int().min(1024).max(65535).optional(),
          healthPath: z.string().startsWith('/').default('/health'),
          /** The agent's environment and secrets: its daemon's, and every conversation process's. */
          env: z.record(envName, z.string()).default({}),
          secrets: z
            .array(z.object({ name: envName, required: z.boolean().default(true) }).strict())
            .default([]),
        })
        .strict()
        .refine((a) => (a.command === undefined) === (a.port === undefined), {
          message: 'agent.command and agent.port go together: give both for a daemon, or neither',
        })
        .default({ healthPath: '/health', env: {}, secrets: [] }),
      providers: z
        .object(
          Object.fromEntries(
            Object.entries(providerSections).map(([name, schema]) => [name, schema.optional()]),
          ),
        )
        .strict()
        .default({}),
      chat: chatSchemaWith(chatSections).optional(),
      /**
       * What the role's agents need installed where they run, besides Node: a golden image built for
       * the role installs it (hetzner); on other hosts an admin does, as the role file's comment says.
       */
      install: z
        .object({ npm: z.array(npmPackage).max(20).default([]) })
        .strict()
        .default({ npm: [] }),
    })
    .strict()
    .superRefine((role, ctx) => {
      if (role.agent.command) return;
      if (!role.chat)
        ctx.addIssue({
          code: 'custom',
          path: ['agent', 'command'],
          message: 'a role needs a daemon (agent.command and agent.port) or a chat section, or both',
        });
      else if (chatSections[String(role.chat.protocol)]?.needsDaemon)
        ctx.addIssue({
          code: 'custom',
          path: ['chat', 'protocol'],
          message: `${String(role.chat.protocol)} talks to the agent's own port, so the role needs agent.command and agent.port`,
        });
    });

/**
 * How people talk to an agent of a role: the protocol's own fields are its module's to read, with
 * the schema it declared.
 */
export type RoleChat = { protocol: string } & z.output<z.ZodObject<typeof chatCommon>> &
  Record<string, unknown>;

/** A role; its provider sections are each provider's to read, with the schema it declared. */
export type Role = Omit<z.output<ReturnType<typeof roleSchemaWith>>, 'providers' | 'chat'> & {
  providers: Record<string, unknown>;
  chat?: RoleChat;
  file: string;
};

/** Role files fleetbot cannot use (no folder, a broken or doubled role): the message names the file and the fix. */
export class RolesError extends Error {
  override readonly name = 'RolesError';
}

/** A role file's contents as YAML, or a RolesError naming it. */
function readRoleFile(file: string): unknown {
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    // The YAML parser's message goes on to quote the file around the fault; its first line says where.
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/:$/, '');
    throw new RolesError(`role file ${file}: ${reason}`);
  }
}

/**
 * Loads every *.yaml role; a broken file stops the start with the file, the field and the problem.
 * `providerSections` are the schemas of the providers' sections (src/providers/index.ts),
 * `chatSections` those of the protocols' (src/protocols/index.ts).
 */
export function loadRoles(
  dir: string,
  providerSections: Record<string, z.ZodType>,
  chatSections: ChatSections,
): Map<string, Role> {
  const roleSchema = roleSchemaWith(providerSections, chatSections);
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));
  } catch {
    throw new RolesError(
      `FLEETBOT_ROLES_DIR: cannot read ${dir}; point it at a folder of role files, or unset it for the roles fleetbot comes with`,
    );
  }
  const roles = new Map<string, Role>();
  for (const file of files.sort()) {
    const full = path.join(dir, file);
    const result = roleSchema.safeParse(readRoleFile(full));
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new RolesError(
        `role file ${full}: ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`,
      );
    }
    if (roles.has(result.data.name))
      throw new RolesError(`role file ${full}: role ${result.data.name} is defined twice`);
    // The union's members are the protocols' own schemas, each with `protocol` and the common fields.
    roles.set(result.data.name, {
      ...result.data,
      chat: result.data.chat as RoleChat | undefined,
      file: full,
    });
  }
  if (roles.size === 0)
    throw new RolesError(
      `no role files (*.yaml) in ${dir}; copy the swe.yaml fleetbot comes with (templates/roles) there`,
    );
  return roles;
}

/** Resolves an argv of the role (paths starting with ./ or ../) against the role file's folder. */
export function resolveArgv(role: Role, argv: readonly string[]): string[] {
  const base = path.dirname(role.file);
  return argv.map((arg) => (arg.startsWith('./') || arg.startsWith('../') ? path.resolve(base, arg) : arg));
}

/** An agent's long-running process: what providers start, keep running and check over HTTP. */
export type Daemon = { command: string[]; port: number; healthPath: string };

/**
 * The role's daemon (its command resolved against the role file's folder), or undefined for a role
 * whose agent runs only when spoken to: then there is nothing to start, no port, and its health is
 * whether its chat side starts and answers.
 */
export function daemonOf(role: Role): Daemon | undefined {
  const { command, port, healthPath } = role.agent;
  if (!command || port === undefined) return undefined;
  return { command: resolveArgv(role, command), port, healthPath };
}
