import { z } from 'zod';
import { commaList, homePath } from '../../config/variables.js';
import { errorMessage } from '../../core/runtime/errors.js';
import { dockerImageSchema } from '../docker/agentContainer.js';
import {
  defaultDockerSocket,
  describeDockerHost,
  dockerHostSchema,
  type DockerHost,
} from '../docker/dockerHost.js';
import { createEngine } from '../docker/engine.js';
import { engineAt, enginePinCheck, type EnginePins } from '../docker/engineAt.js';
import { engineDispatcher } from '../docker/transport.js';
import { defineProviderModule } from '../module.js';
import { createSwarmProvider } from './index.js';
import { swarmRoleSettings } from './roleSettings.js';
import { swarmObjects } from './swarmObjects.js';

/** How long a deploy waits for Swarm to run the agent and for it to answer health. */
const healthDeadlineMs = 120_000;

/** One node of the swarm fleetbot may exec into: the address Swarm knows it by, and its Engine. */
const nodeEntry = z.string().transform((entry, ctx) => {
  const at = entry.indexOf('=');
  const address = entry.slice(0, at).trim();
  const host = dockerHostSchema.safeParse(entry.slice(at + 1));
  if (at <= 0 || !/^[0-9a-fA-F.:]+$/.test(address) || !host.success) {
    ctx.addIssue({
      code: 'custom',
      message: `each entry is <node address>=<DOCKER_HOST>, such as 10.0.0.5=ssh://root@10.0.0.5 (got ${entry})`,
    });
    return z.NEVER;
  }
  return { address, host: host.data };
});

export type SwarmSettings = {
  manager: DockerHost;
  nodes: { address: string; host: DockerHost }[];
  knownHostsFile: string | undefined;
  image: string | undefined;
  portBase: number;
};

const variables = {
  FLEETBOT_SWARM_HOST: {
    schema: dockerHostSchema.optional(),
    example: 'ssh://deploy@manager1.example.com',
    help: `A Swarm manager's Engine, as DOCKER_HOST names one: unix:///path or ssh://user@host[:port] (default, when FLEETBOT_PROVIDERS lists swarm: unix://${defaultDockerSocket}).`,
  },
  FLEETBOT_SWARM_NODES: {
    schema: commaList.pipe(z.array(nodeEntry)),
    example: '10.0.0.5=ssh://root@10.0.0.5,10.0.0.6=ssh://root@10.0.0.6',
    help: 'Other nodes whose Engine fleetbot may use for conversations (/ask) with the agents they run, as <node address>=<DOCKER_HOST>, comma-separated; the manager’s own are always reachable.',
  },
  FLEETBOT_SWARM_KNOWN_HOSTS: {
    schema: z.string().min(1).optional(),
    example: '/etc/fleetbot/swarm_known_hosts',
    help: 'known_hosts file with the host key of every ssh:// Engine of FLEETBOT_SWARM_HOST and FLEETBOT_SWARM_NODES.',
  },
  FLEETBOT_SWARM_IMAGE: {
    schema: dockerImageSchema.optional(),
    example: 'registry.example.com/agents/node:20',
    help: 'Image of Swarm agents whose role names none in providers.docker.image; every node must be able to pull it.',
  },
  FLEETBOT_SWARM_PORT_BASE: {
    schema: z.coerce.number().int().min(1024).max(65_000).default(31_000),
    example: '31000',
    help: 'First port Swarm agents are published on (host mode, on the node that runs each); each agent gets the next one no service uses.',
  },
};

/** The pins of the swarm's ssh:// Engines. */
const pinsOf = (settings: SwarmSettings): EnginePins => ({
  file: settings.knownHostsFile,
  variable: 'FLEETBOT_SWARM_KNOWN_HOSTS',
  hosts: 'the ssh:// Engines of FLEETBOT_SWARM_HOST and FLEETBOT_SWARM_NODES',
});

/** Agents as Docker Swarm services, placed by Swarm across its nodes; fleetbot talks to a manager. */
export const swarmModule = defineProviderModule({
  name: 'swarm',
  variables,
  crossCheck: (v) =>
    (v.FLEETBOT_SWARM_HOST?.kind === 'ssh' || v.FLEETBOT_SWARM_NODES.some((n) => n.host.kind === 'ssh')) &&
    !v.FLEETBOT_SWARM_KNOWN_HOSTS
      ? [
          `FLEETBOT_SWARM_HOST: fleetbot never trusts a host key on first use; set FLEETBOT_SWARM_KNOWN_HOSTS to a known_hosts file with the key of each ssh:// Engine; example: FLEETBOT_SWARM_KNOWN_HOSTS=${variables.FLEETBOT_SWARM_KNOWN_HOSTS.example}`,
        ]
      : [],
  settings: (v, env): SwarmSettings | undefined =>
    v.FLEETBOT_SWARM_HOST || v.FLEETBOT_PROVIDERS.includes('swarm')
      ? {
          manager: v.FLEETBOT_SWARM_HOST ?? { kind: 'unix', socketPath: defaultDockerSocket },
          nodes: v.FLEETBOT_SWARM_NODES,
          knownHostsFile: v.FLEETBOT_SWARM_KNOWN_HOSTS && homePath(v.FLEETBOT_SWARM_KNOWN_HOSTS, env),
          image: v.FLEETBOT_SWARM_IMAGE,
          portBase: v.FLEETBOT_SWARM_PORT_BASE,
        }
      : undefined,
  roleSettings: swarmRoleSettings,
  deployFlags: {},
  doctor: [
    {
      name: 'swarm manager',
      run: async (settings) => {
        const where = describeDockerHost(settings.manager);
        try {
          if (settings.manager.kind === 'ssh') return enginePinCheck(settings.manager, pinsOf(settings));
          const engine = createEngine({ dispatcher: engineDispatcher(settings.manager), where });
          try {
            const swarm = swarmObjects(engine);
            const id = await swarm.ownNodeId();
            if (!id)
              return {
                ok: false,
                detail: `${where} is not in a swarm`,
                fix: 'run docker swarm init there, or point FLEETBOT_SWARM_HOST at a manager',
              };
            const node = await swarm.node(id);
            return { ok: true, detail: `${where} is node ${node.Description.Hostname} of a swarm` };
          } finally {
            await engine.close();
          }
        } catch (err) {
          return {
            ok: false,
            detail: errorMessage(err),
            fix: 'check FLEETBOT_SWARM_HOST and that dockerd runs there as a swarm manager',
          };
        }
      },
    },
  ],
  create: (settings, shared) =>
    createSwarmProvider({
      manager: engineAt(settings.manager, pinsOf(settings), shared).engine,
      nodeEngines: new Map(
        settings.nodes.map((n) => [n.address, engineAt(n.host, pinsOf(settings), shared).engine]),
      ),
      nodesVariable: 'FLEETBOT_SWARM_NODES',
      defaultImage: settings.image,
      portBase: settings.portBase,
      healthDeadlineMs,
      instance: shared.instance,
      clock: shared.clock,
    }),
});
