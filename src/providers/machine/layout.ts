import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { resolveArgv, daemonOf, type Role } from '../../core/fleet/roles.js';
import { envFile } from './escape.js';
import { renderTemplate } from './templates.js';

// Where an agent lives on a Linux machine, and the files that put it there. Every value is checked
// here before it reaches a template, so templates only ever see names and paths of known shapes.

export const agentsRoot = '/srv/fleetbot';
/**
 * Root-owned: what systemd reads as root for an agent (its env files) never lies in a folder it can
 * write. Not under /etc/fleetbot, where fleetbot keeps its own env on its host: an agent named `env`
 * must not name that file.
 */
export const configRoot = '/etc/fleetbot-agents';
export const placeholderPath = '/tmp/fleetbot-Caddyfile.placeholder';

const userName = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'a Linux user name');
const hostName = z
  .string()
  .max(253)
  .regex(/^(?!-)[a-z0-9-]{1,63}(\.(?!-)[a-z0-9-]{1,63})*$/, 'a DNS name of lowercase labels');
const safePath = z.string().regex(/^\/[A-Za-z0-9._/-]+$/, 'an absolute path of plain characters');

export type AgentLayout = {
  name: string;
  /** The agent's own Unix user: it owns appDir (0700) and nothing else, so agents on one host cannot read each other. */
  user: string;
  appDir: string;
  /** Root-owned (0700): the env files systemd reads for the unit. */
  configDir: string;
  /** Where the daemon's unit is, or would be: destroying removes whatever is there. */
  unit: string;
  /** Files to upload into appDir: remote name → local path. */
  files: Record<string, string>;
  /** Absent for an agent that runs only when spoken to: no unit, no port, no port guard, no Caddy site. */
  daemon?: MachineDaemon;
};

/** The agent's long-running process on the machine, run by its unit. */
export type MachineDaemon = {
  /** argv on the machine, with role files pointing into appDir. */
  argv: string[];
  port: number;
  healthPath: string;
};

/** The layout of an agent that has a daemon: what its unit, port guard, health check and Caddy site need. */
export type DaemonLayout = AgentLayout & { daemon: MachineDaemon };

export const hasDaemon = (layout: AgentLayout): layout is DaemonLayout => layout.daemon !== undefined;

/** The same agent with its daemon on another port (a shared ssh host gives each agent its own). */
export const atPort = (layout: AgentLayout, port: number | undefined): AgentLayout =>
  layout.daemon && port !== undefined ? { ...layout, daemon: { ...layout.daemon, port } } : layout;

export const unitName = (agentName: string): string => `fleetbot-${agentName}.service`;
export const appDirOf = (agentName: string): string => `${agentsRoot}/${hostName.parse(agentName)}`;
export const configDirOf = (agentName: string): string => `${configRoot}/${hostName.parse(agentName)}`;

/**
 * `fb-<name>`, within Linux's 32 characters: a name too long keeps its first 20 characters and
 * gains 8 hex digits of its hash, so two long names still get two users.
 */
export function agentUserOf(agentName: string): string {
  const plain = `fb-${hostName.parse(agentName)}`;
  if (plain.length <= 32) return plain;
  const digest = createHash('sha256').update(agentName).digest('hex').slice(0, 8);
  return `fb-${agentName.slice(0, 20)}-${digest}`;
}

const placesOf = (agentName: string) => ({
  name: agentName,
  user: agentUserOf(agentName),
  appDir: appDirOf(agentName),
  configDir: configDirOf(agentName),
  unit: unitName(agentName),
});

/**
 * An installed agent's layout from what was recorded at deploy, for removing and checking it: its
 * daemon's port and health path when it has one.
 */
export const installedLayout = (
  agentName: string,
  daemon?: { port: number; healthPath: string },
): AgentLayout => ({
  ...placesOf(agentName),
  files: {},
  ...(daemon ? { daemon: { argv: [], ...daemon } } : {}),
});

/**
 * The role's commands as they run where its files are put into `dir` (an agent's app folder on a
 * machine, a volume in a container): files they name relative to the role (the daemon's, and the chat
 * command's, such as the reference agent's acp.mjs) go into `dir` under their own names.
 */
export function placeRoleFiles(
  role: Role,
  dir: string,
): { files: Record<string, string>; daemonArgv?: string[]; chatArgv?: string[] } {
  const files: Record<string, string> = {};
  const relative = (arg: string): boolean => arg.startsWith('./') || arg.startsWith('../');
  /** argv resolved against the role file, with the files it names relative to the role moved into dir. */
  const place = (resolved: string[], original: readonly string[]): string[] =>
    resolved.map((arg, i) => {
      if (!relative(original[i] ?? arg)) return arg;
      const base = path.basename(arg);
      files[base] = arg;
      return `${dir}/${base}`;
    });
  const chatCommand = z.array(z.string()).safeParse(role.chat?.['command']);
  const chatArgv = chatCommand.success
    ? place(resolveArgv(role, chatCommand.data), chatCommand.data)
    : undefined;
  const daemon = daemonOf(role);
  const daemonArgv = daemon ? place(daemon.command, role.agent.command ?? []) : undefined;
  return { files, ...(daemonArgv ? { daemonArgv } : {}), ...(chatArgv ? { chatArgv } : {}) };
}

/** The role's agent as it runs on a machine, its role files in its app folder. */
export function agentLayout(agentName: string, role: Role): AgentLayout {
  const { files, daemonArgv } = placeRoleFiles(role, appDirOf(agentName));
  const daemon = daemonOf(role);
  return {
    ...placesOf(agentName),
    files,
    ...(daemon && daemonArgv
      ? {
          daemon: {
            argv: absoluteProgram(daemonArgv),
            port: daemon.port,
            healthPath: daemon.healthPath,
          },
        }
      : {}),
  };
}

/** systemd wants an absolute program; /usr/bin/env finds node, python3 and the like on PATH. */
const absoluteProgram = ([program, ...rest]: string[]): string[] =>
  program?.startsWith('/') ? [program, ...rest] : ['/usr/bin/env', ...(program ? [program] : []), ...rest];

/**
 * The agent's unit as systemd reads it: its daemon's start and lifecycle around its walls. Without a
 * daemon only the walls and the lifecycle settings that name no process remain, which is all
 * `unitWalls` reads; such a text is never installed.
 */
const renderService = (layout: AgentLayout, role: string, daemon: MachineDaemon | undefined): string =>
  renderTemplate('agent.service', {
    name: layout.name,
    role,
    user: userName.parse(layout.user),
    appDir: safePath.parse(layout.appDir),
    configDir: safePath.parse(layout.configDir),
    ...(daemon
      ? { nft: nftPath, portGuard: safePath.parse(portGuardPath(layout)), execStart: daemon.argv }
      : {}),
  });

export const renderUnit = (layout: DaemonLayout, role: string): string =>
  renderService(layout, role, layout.daemon);

/** Settings of the agent's unit about how it starts, restarts and logs: not its walls. */
const notWalls = new Set([
  'Type',
  'Restart',
  'RestartSec',
  'StandardOutput',
  'StandardError',
  'SyslogIdentifier',
]);

/**
 * The walls of the agent's unit as `Key=Value` settings: its user, env files, folder, sandboxing and
 * limits. A conversation's process on a systemd host runs in a transient unit with exactly these, so
 * a wall added to the unit's template reaches conversations too, whether the agent has a daemon or not.
 */
export function unitWalls(layout: AgentLayout, role: string): string[] {
  const service =
    /^\[Service\]\n([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(renderService(layout, role, undefined))?.[1] ?? '';
  return service
    .split('\n')
    .filter((line) => /^[A-Za-z]+=/.test(line) && !notWalls.has(line.slice(0, line.indexOf('='))));
}

/** Caddy's user on Debian and Ubuntu, which proxies to the agent's port. */
export const caddyUser = 'caddy';

/** The nftables table that guards one agent's port; agent names are DNS labels, valid nft words. */
export const portGuardTable = (agentName: string): string => `fleetbot-agent-${hostName.parse(agentName)}`;

/** nftables' command on Debian and Ubuntu, as the agent unit names it. */
export const nftPath = '/usr/sbin/nft';

/** Where the port guard lives: beside the env files, root-owned, loaded by the unit at every start. */
export const portGuardPath = (layout: AgentLayout): string => `${layout.configDir}/port.nft`;

/**
 * The rule that lets only root, the agent itself and `others` (Caddy, a login that is not root)
 * connect to the agent's port over loopback: another agent on the machine gets a reset.
 */
export const renderPortGuard = (layout: DaemonLayout, others: string[]): string =>
  renderTemplate('agent-port.nft', {
    name: layout.name,
    table: portGuardTable(layout.name),
    port: String(z.number().int().min(1).max(65535).parse(layout.daemon.port)),
    // A login may be any name its host allows (john.doe); the nft escaper refuses what is not plain.
    users: [...new Set(['root', userName.parse(layout.user), ...others])],
  });

/** The agent's environment: its role's, its name and role, and where its daemon listens if it has one. */
export const renderAgentEnv = (layout: AgentLayout, role: Role): string =>
  envFile({
    ...role.agent.env,
    AGENT_NAME: layout.name,
    AGENT_ROLE: role.name,
    ...(layout.daemon ? { HOST: '127.0.0.1', PORT: String(layout.daemon.port) } : {}),
  });

export const renderSecretsEnv = (secrets: Record<string, string>): string => envFile(secrets);

/** Caddy's main file: global options and an import of every agent's site. */
export const renderCaddyfile = (acmeCa?: string): string =>
  renderTemplate('Caddyfile', { acmeCa: acmeCa ? z.url().parse(acmeCa) : undefined });

/** One agent's site: its public name in front of its local port. */
export const renderCaddySite = (host: string, port: number): string =>
  renderTemplate('site.caddy', { host: hostName.parse(host), port: String(port) });

/** Where an agent's site goes, in the folder the main Caddyfile imports. */
export const caddySitePath = (agentName: string): string =>
  `/etc/caddy/fleetbot.d/${hostName.parse(agentName)}.caddy`;

export const renderUserData = (v: {
  hostname: string;
  hostKeyPrivate: string;
  hostKeyPublic: string;
  loginKeys: string[];
}): string =>
  renderTemplate('cloud-init.yaml', {
    hostname: hostName.parse(v.hostname),
    hostKeyPrivate: v.hostKeyPrivate,
    hostKeyPublic: v.hostKeyPublic,
    loginKeys: v.loginKeys,
  });

/** The golden image's build script; `npmPackages` are the role's own programs (its `install.npm`). */
export const renderBuildScript = (npmPackages: string[] = []): string =>
  renderTemplate('build-image.sh', {
    agentsRoot,
    placeholder: placeholderPath,
    npmPackages: npmPackages.length > 0 ? npmPackages : undefined,
  });

/** The local files of an agent, read for upload. */
export const readAgentFiles = (layout: AgentLayout): [string, Buffer][] =>
  Object.entries(layout.files).map(([name, local]) => [name, readFileSync(local)]);
