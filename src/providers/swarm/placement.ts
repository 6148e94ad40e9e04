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
 * Swarm's words about a task that is not running yet. A task that keeps failing is replaced every few
 * seconds, so the newest one is usually "preparing" or "starting" with nothing to say: the failure
 * of the one before it is what tells a person what to fix.
 */
function whyNotRunning(wanted: Task, tasks: Task[]): string {
  const state = wanted.Status.State;
  const own = wanted.Status.Err || wanted.Status.Message || '';
  const words = own.toLowerCase() === state.toLowerCase() ? '' : agentText(own, 200);
  const before = tasks
    .filter((t) => t !== wanted && t.Status.Err)
    .sort((a, b) => (b.Status.Timestamp ?? '').localeCompare(a.Status.Timestamp ?? ''))[0];
  const failed =
    wanted.Status.Err || !before ? '' : `; the attempt before failed: ${agentText(before.Status.Err!, 300)}`;
  return `its task is ${state}${words ? `: ${words}` : ''}${failed}`;
}

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
    return { why: whyNotRunning(wanted, tasks) };
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
