import { agentText } from '../../core/chat/text.js';
import type { SwarmNode, SwarmObjects, Task } from './swarmObjects.js';

/** Where an agent's task runs now: the task, its container and the node (by name and address). */
export type Placement = {
  task: Task;
  containerId: string | undefined;
  node: SwarmNode;
  /** Where the node's published ports answer (Swarm's own view of the node's address). */
  address: string;
};

/** How status, cards and messages name a node: its hostname and its address. */
export const describeNode = (node: SwarmNode, address: string): string =>
  `node ${agentText(node.Description.Hostname, 64)} (${address})`;

/** A node's address: the one it advertises to Swarm, or for a manager its advertised manager address. */
export const nodeAddress = (node: SwarmNode): string | undefined => {
  const addr = node.Status.Addr;
  if (addr && addr !== '0.0.0.0') return addr;
  return node.ManagerStatus?.Addr?.replace(/:\d+$/, '');
};

/**
 * The agent's running task and its node, or why there is none: Swarm's own words about the newest
 * task (no node suitable, image missing, the process exited), which is what a person needs to act.
 */
export async function placementOf(
  swarm: SwarmObjects,
  service: string,
): Promise<{ placement: Placement } | { why: string }> {
  const tasks = await swarm.tasks(service);
  const running = tasks.find((t) => t.DesiredState === 'running' && t.Status.State === 'running' && t.NodeID);
  if (!running) {
    const wanted = tasks.find((t) => t.DesiredState === 'running');
    if (!wanted)
      return { why: tasks.length === 0 ? `service ${service} has no task` : 'its task is stopping' };
    const words = agentText(wanted.Status.Err || wanted.Status.Message || '', 200);
    return { why: `its task is ${wanted.Status.State}${words ? `: ${words}` : ''}` };
  }
  const node = await swarm.node(running.NodeID!);
  const address = nodeAddress(node);
  if (!address) return { why: `node ${running.NodeID} advertises no address` };
  return {
    placement: {
      task: running,
      containerId: running.Status.ContainerStatus?.ContainerID,
      node,
      address,
    },
  };
}
