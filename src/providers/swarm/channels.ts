import { createConnection } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AgentChannels } from '../../core/fleet/provider.js';
import { UserError } from '../../core/runtime/errors.js';
import { inContainer } from '../docker/agentContainer.js';
import type { Engine } from '../docker/engine.js';
import { execProcess } from '../docker/exec.js';
import { describeNode, placementOf, type Placement } from './placement.js';
import type { SwarmObjects } from './swarmObjects.js';

/** How long opening a connection to the agent's published port may take. */
const connectTimeoutMs = 10_000;

export type SwarmReach = {
  swarm: SwarmObjects;
  /** The Engine of the node that runs a task, where fleetbot can reach it; undefined where it cannot. */
  engineOn(placement: Placement): Promise<Engine | undefined>;
  /** The settings that map a node's address to its Engine, for the message when one is missing. */
  nodesVariable: string;
};

export type SwarmAgent = {
  name: string;
  service: string;
  uid: number;
  gid: number;
  /** The role files in the container (their name there → their path here), for the chat command's argv. */
  files: Record<string, string>;
  /** The role's port inside the container, and where it is published on the agent's node. */
  ports: { role: number; published: number };
};

/** Where the agent's task is, or a message that says why a conversation cannot reach it now. */
async function placed(reach: SwarmReach, agent: SwarmAgent): Promise<Placement> {
  const where = await placementOf(reach.swarm, agent.service);
  if ('why' in where)
    throw new UserError(`${agent.name} is not running (${where.why}); /status ${agent.name} says more.`);
  return where.placement;
}

/**
 * How conversations reach a Swarm agent: a process in its running container on whatever node it
 * is now, where fleetbot can reach that node's Engine (the manager's own tasks, or a node the
 * settings map to an Engine), and its port where it is published on that node.
 */
export function swarmChannels(reach: SwarmReach, agent: SwarmAgent): AgentChannels {
  return {
    async spawn(argv) {
      const placement = await placed(reach, agent);
      const node = describeNode(placement.node, placement.address);
      const engine = await reach.engineOn(placement);
      if (!engine)
        throw new UserError(
          `${agent.name} runs on ${node}, whose Docker Engine fleetbot cannot reach, so it cannot start a conversation there. Map the node to its Engine in ${reach.nodesVariable} (e.g. ${placement.address}=ssh://root@${placement.address}), or constrain the role to nodes fleetbot reaches (providers.swarm.constraints).`,
        );
      if (!placement.containerId)
        throw new UserError(`${agent.name}'s task on ${node} has no container yet; try again shortly.`);
      // The docker provider's exec: the agent's user, walls and workspace, its secrets exported by the
      // same launcher as its daemon's.
      return execProcess(engine, placement.containerId, {
        user: `${agent.uid}:${agent.gid}`,
        argv: inContainer(argv, agent.files),
      });
    },

    async connect(port) {
      if (port !== agent.ports.role)
        throw new UserError(`${agent.name} publishes only its role's port ${agent.ports.role}, not ${port}.`);
      const placement = await placed(reach, agent);
      return new Promise<Duplex>((resolve, reject) => {
        const socket = createConnection({ host: placement.address, port: agent.ports.published });
        const timer = setTimeout(
          () => socket.destroy(new Error(`no connection within ${connectTimeoutMs / 1000} s`)),
          connectTimeoutMs,
        );
        socket.once('connect', () => (clearTimeout(timer), resolve(socket)));
        socket.once('error', (err) => {
          clearTimeout(timer);
          reject(
            new UserError(
              `cannot reach ${agent.name} at ${placement.address}:${agent.ports.published} (${err.message})`,
            ),
          );
        });
      });
    },
  };
}
