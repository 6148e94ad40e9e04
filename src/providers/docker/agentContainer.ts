import { z } from 'zod';
import type { Role } from '../../core/fleet/roles.js';
import { UserError } from '../../core/runtime/errors.js';
import { agentLabels } from '../labels.js';
import { placeRoleFiles } from '../machine/layout.js';

// An agent as a container, for every provider that runs agents on a Docker Engine (docker: one
// container; swarm: a service of one): its role section, the names of what it is made of, the labels
// that say whose they are, where things are inside it, and how its process starts with its secrets.

/** An image reference as Docker takes it: [registry[:port]/]path[:tag][@digest], lowercase path. */
const imageRef = z
  .string()
  .regex(
    /^(?:[a-zA-Z0-9.-]+(?::\d{1,5})?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/,
    'an image such as node:20-bookworm-slim or registry.example.com/agents/swe:1',
  );

/** The uid agents run as when the role does not say: not root, and no user an image usually has. */
export const defaultAgentUid = 10001;

/**
 * A role's `providers.docker` section (swarm reads it too): the image its agents run and their walls.
 * The user is numeric, so no image can map it to root by name, and never 0.
 */
export const dockerRoleSettings = z
  .object({
    /**
     * Without one, the newest image `/image build` made for the role (docker only), else
     * FLEETBOT_DOCKER_IMAGE. The image needs /bin/sh and what the role's commands run (node).
     */
    image: imageRef.optional(),
    /** What `/image build <role> --provider docker` starts from; without one, FLEETBOT_DOCKER_IMAGE. */
    base: imageRef.optional(),
    uid: z.number().int().min(1, 'uid 0 is root; agents never run as root').max(2_147_483_647).optional(),
    gid: z.number().int().min(1, 'gid 0 is root’s group').max(2_147_483_647).optional(),
    memoryMb: z.number().int().min(64).max(262_144).default(1024),
    cpus: z.number().min(0.1).max(64).default(1),
    pids: z.number().int().min(16).max(65_536).default(256),
  })
  .strict();
export type DockerRoleSettings = z.output<typeof dockerRoleSettings>;

/** The role's `providers.docker` section, its defaults filled in. */
export const dockerSection = (role: Role): DockerRoleSettings =>
  dockerRoleSettings.optional().parse(role.providers.docker) ?? dockerRoleSettings.parse({});

/** What a container of the role runs as and within, in the Engine's units. */
export type ContainerWalls = {
  uid: number;
  gid: number;
  memoryBytes: number;
  nanoCpus: number;
  pids: number;
};

/** What a container of the role is given: its image, its user and its limits. */
export type ContainerSettings = ContainerWalls & { image: string };

export function containerWalls(role: Role): ContainerWalls {
  const s = dockerSection(role);
  const uid = s.uid ?? defaultAgentUid;
  return {
    uid,
    gid: s.gid ?? uid,
    memoryBytes: s.memoryMb * 1024 * 1024,
    nanoCpus: Math.round(s.cpus * 1e9),
    pids: s.pids,
  };
}

/** The role's container settings; its image, or `defaultImage` (FLEETBOT_DOCKER_IMAGE) when it names none. */
export function containerSettings(role: Role, defaultImage: string | undefined): ContainerSettings {
  const image = dockerSection(role).image ?? defaultImage;
  if (!image)
    throw new UserError(
      `Role ${role.name} names no image: set providers.docker.image in ${role.file}, or FLEETBOT_DOCKER_IMAGE for every role.`,
    );
  return { image, ...containerWalls(role) };
}

/** FLEETBOT_DOCKER_IMAGE's schema, the same as a role's image. */
export const dockerImageSchema = imageRef;

/**
 * What an agent's container is made of, by name: `fleetbot-<agent>` for the container (or service)
 * and its network, `fleetbot-<agent>-<what>` for its volumes. Agent names are DNS labels, valid here.
 */
export const containerNames = (agent: string) => ({
  container: `fleetbot-${agent}`,
  network: `fleetbot-${agent}`,
  /** A container that is created, never started, to put files into the volumes before the agent's. */
  seed: `fleetbot-${agent}-seed`,
  volumes: {
    workspace: `fleetbot-${agent}-workspace`,
    files: `fleetbot-${agent}-files`,
    secrets: `fleetbot-${agent}-secrets`,
  },
});

/** A Swarm secret's name for one of the agent's secrets: Docker's names are [a-zA-Z0-9-_.]. */
export const secretName = (agent: string, key: string): string => `fleetbot-${agent}-${key.toLowerCase()}`;

/** Labels on everything made for an agent: fleetbot's own (src/providers/labels.ts), its agent and role. */
export const containerLabels = (instance: string, agent: string, role: string): Record<string, string> =>
  agentLabels(instance, agent, role);

/**
 * The agent container's label naming the host port it publishes on: the Engine lists a container's
 * ports only while it runs, and one that restarts takes its port back.
 */
export const hostPortLabel = 'fleetbot-host-port';

/**
 * Where things are inside the container. The root filesystem is read-only; these are volumes (or
 * Swarm secrets) mounted over it, and /tmp is a tmpfs.
 */
export const containerPaths = {
  /** The agent's own folder and HOME, owned by its uid (0700): the only place it writes besides /tmp. */
  workspace: '/workspace',
  /** The role's files its commands name (server.mjs, acp.mjs), root-owned, mounted read-only. */
  files: '/opt/fleetbot/role',
  /** One file per secret named as its variable, 0400 and owned by the agent's uid, mounted read-only. */
  secrets: '/run/secrets',
} as const;

/** The role's agent as a container runs it: the files to put into `containerPaths.files`, its argv. */
export type AgentContainer = {
  /** Role files to put into containerPaths.files: their name there → their path here. */
  files: Record<string, string>;
  daemon?: { argv: string[]; port: number; healthPath: string };
  /** The role's chat command with its role files at their place in the container. */
  chatArgv?: string[];
  /** The agent's environment, without its secrets (those only ever reach it through the launcher). */
  env: Record<string, string>;
};

export function agentContainer(agentName: string, role: Role): AgentContainer {
  const placed = placeRoleFiles(role, containerPaths.files);
  const port = role.agent.port;
  return {
    files: placed.files,
    ...(placed.daemonArgv && port !== undefined
      ? { daemon: { argv: placed.daemonArgv, port, healthPath: role.agent.healthPath } }
      : {}),
    ...(placed.chatArgv ? { chatArgv: placed.chatArgv } : {}),
    env: {
      ...role.agent.env,
      AGENT_NAME: agentName,
      AGENT_ROLE: role.name,
      HOME: containerPaths.workspace,
      // Its own network namespace: it listens on every address in it, which only its published port reaches.
      ...(port !== undefined ? { HOST: '0.0.0.0', PORT: String(port) } : {}),
    },
  };
}

/** The Engine's form of an environment: `KEY=value` strings. */
export const envList = (env: Record<string, string>): string[] =>
  Object.entries(env).map(([key, value]) => `${key}=${value}`);

/**
 * Local paths of role files in an argv (the role's resolved chat command) replaced by their place in
 * the container, as `agentContainer` put them.
 */
export const inContainer = (argv: string[], files: Record<string, string>): string[] => {
  const placed = new Map(Object.entries(files).map(([name, local]) => [local, name]));
  return argv.map((arg) => (placed.has(arg) ? `${containerPaths.files}/${placed.get(arg)}` : arg));
};

/**
 * Exports each file in the secrets folder whose name is a variable name as that variable, then
 * execs the agent's argv: the values never appear in the container's Env, Cmd or Args, nor in any
 * process's argv. Plain POSIX sh builtins, so any image with /bin/sh runs it; a value keeps its
 * inner newlines.
 */
const launchScript = `for f in ${containerPaths.secrets}/*; do
  [ -f "$f" ] || continue
  n=\${f##*/}
  case $n in ''|[!A-Z_]*|*[!A-Z0-9_]*) continue ;; esac
  v=; s=
  while IFS= read -r l || [ -n "$l" ]; do v=$v$s$l; s='
'; done < "$f"
  export "$n=$v"
done
exec "$@"`;

/** Where a conversation's launcher writes its pid, so it can be ended from a second exec. */
export const pidFileSchema = z.string().regex(/^\/tmp\/fleetbot-[a-z0-9-]{1,64}\.pid$/);

/**
 * argv that starts `argv` with the agent's secrets in its environment (see launchScript); with a
 * pid file, the pid the agent will have (the shell execs it) is written there first.
 */
export const launcher = (argv: string[], pidFile?: string): string[] => [
  '/bin/sh',
  '-c',
  pidFile === undefined ? launchScript : `echo $$ > ${pidFileSchema.parse(pidFile)}\n${launchScript}`,
  'fleetbot-launch',
  ...argv,
];
