import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { resolveCommand, type Role } from '../../core/fleet/roles.js';
import { envFile } from './escape.js';
import { renderTemplate } from './templates.js';

// Where an agent lives on a Linux machine, and the files that put it there. Every value is checked
// here before it reaches a template, so templates only ever see names and paths of known shapes.

export const agentsRoot = '/srv/fleetbot';
export const agentUser = 'agent';
export const placeholderPath = '/tmp/fleetbot-Caddyfile.placeholder';

const userName = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'a Linux user name');
const hostName = z
  .string()
  .max(253)
  .regex(/^(?!-)[a-z0-9-]{1,63}(\.(?!-)[a-z0-9-]{1,63})*$/, 'a DNS name of lowercase labels');
const safePath = z.string().regex(/^\/[A-Za-z0-9._/-]+$/, 'an absolute path of plain characters');

export type AgentLayout = {
  name: string;
  appDir: string;
  unit: string;
  /** Files to upload into appDir: remote name → local path. */
  files: Record<string, string>;
  /** argv on the machine, with role files pointing into appDir. */
  argv: string[];
  port: number;
  healthPath: string;
};

export const unitName = (agentName: string): string => `fleetbot-${agentName}.service`;
export const appDirOf = (agentName: string): string => `${agentsRoot}/${hostName.parse(agentName)}`;

/** An installed agent's layout from what was recorded at deploy, for removing and checking it. */
export const installedLayout = (agentName: string, port: number, healthPath: string): AgentLayout => ({
  name: agentName,
  appDir: appDirOf(agentName),
  unit: unitName(agentName),
  files: {},
  argv: [],
  port,
  healthPath,
});

/** The role's command as it runs on a machine: files it names relative to the role go into the app folder. */
export function agentLayout(agentName: string, role: Role): AgentLayout {
  const appDir = appDirOf(agentName);
  const files: Record<string, string> = {};
  const argv = resolveCommand(role).map((arg, i) => {
    const original = role.agent.command[i] ?? arg;
    if (!original.startsWith('./') && !original.startsWith('../')) return arg;
    const base = path.basename(arg);
    files[base] = arg;
    return `${appDir}/${base}`;
  });
  const [program, ...rest] = argv;
  return {
    name: agentName,
    appDir,
    unit: unitName(agentName),
    files,
    // systemd wants an absolute program; /usr/bin/env finds node, python3 and the like on PATH.
    argv: program?.startsWith('/') ? argv : ['/usr/bin/env', ...(program ? [program] : []), ...rest],
    port: role.agent.port,
    healthPath: role.agent.healthPath,
  };
}

export const renderUnit = (layout: AgentLayout, role: string, user: string): string =>
  renderTemplate('agent.service', {
    name: layout.name,
    role,
    user: userName.parse(user),
    appDir: safePath.parse(layout.appDir),
    execStart: layout.argv,
  });

export const renderAgentEnv = (layout: AgentLayout, role: Role): string =>
  envFile({
    ...role.agent.env,
    AGENT_NAME: layout.name,
    AGENT_ROLE: role.name,
    HOST: '127.0.0.1',
    PORT: String(layout.port),
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

export const renderBuildScript = (): string =>
  renderTemplate('build-image.sh', { agentUser, agentsRoot, placeholder: placeholderPath });

/** The local files of an agent, read for upload. */
export const readAgentFiles = (layout: AgentLayout): [string, Buffer][] =>
  Object.entries(layout.files).map(([name, local]) => [name, readFileSync(local)]);
