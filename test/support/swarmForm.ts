import { z } from 'zod';
import type { Engine } from '../../src/providers/docker/engine.js';

// Making two Engines one Swarm, as the test labs do (the host's dockerd with one in a network
// namespace, or two VMs): the manager inits at its address, the worker joins with the join token,
// and both must report ready.

const swarmInfo = z.object({ Swarm: z.object({ NodeID: z.string() }) });
const joinTokens = z.object({ JoinTokens: z.object({ Worker: z.string() }) });
const nodeList = z.array(z.object({ Status: z.object({ State: z.string() }) }));
const nodeSpec = z.object({
  Version: z.object({ Index: z.number() }),
  Spec: z.looseObject({ Availability: z.string() }),
});

async function nodeIdOf(engine: Engine): Promise<string> {
  const info = await engine.json('GET', '/info', swarmInfo, { what: 'reading the node id' });
  return info.Swarm.NodeID;
}

export type SwarmMember = { engine: Engine; address: string };

/**
 * Inits a swarm on the manager, joins the worker, waits until both nodes are ready (`deadlineMs`)
 * and returns their node ids. `joined` is told each node that is now in the swarm, for the lab's
 * undo (`leaveSwarm`).
 */
export async function formSwarm(
  manager: SwarmMember,
  worker: SwarmMember,
  opts: { deadlineMs: number; joined: (node: 'manager' | 'worker') => void },
): Promise<{ manager: string; worker: string }> {
  await manager.engine.send('POST', '/swarm/init', {
    what: 'starting the swarm',
    body: { ListenAddr: `${manager.address}:2377`, AdvertiseAddr: manager.address },
    timeoutMs: 120_000,
  });
  opts.joined('manager');
  const tokens = await manager.engine.json('GET', '/swarm', joinTokens, { what: 'reading the join token' });
  await worker.engine.send('POST', '/swarm/join', {
    what: 'joining the worker',
    body: {
      ListenAddr: `${worker.address}:2377`,
      AdvertiseAddr: worker.address,
      RemoteAddrs: [`${manager.address}:2377`],
      JoinToken: tokens.JoinTokens.Worker,
    },
    timeoutMs: 120_000,
  });
  opts.joined('worker');
  for (const end = Date.now() + opts.deadlineMs; ;) {
    const nodes = await manager.engine
      .json('GET', '/nodes', nodeList, { what: 'listing nodes' })
      .catch(() => []);
    if (nodes.length === 2 && nodes.every((n) => n.Status.State === 'ready')) break;
    if (Date.now() > end)
      throw new Error(`the swarm's nodes never were both ready: ${JSON.stringify(nodes)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return { manager: await nodeIdOf(manager.engine), worker: await nodeIdOf(worker.engine) };
}

export const leaveSwarm = (engine: Engine): Promise<void> =>
  engine.send('POST', '/swarm/leave', { what: 'leaving the swarm', query: { force: true } });

/** Sets a node's availability through the manager (`drain` moves its tasks away, `active` takes tasks again). */
export async function setAvailability(
  manager: Engine,
  nodeId: string,
  availability: 'active' | 'drain',
): Promise<void> {
  const node = await manager.json('GET', `/nodes/${nodeId}`, nodeSpec, { what: `reading node ${nodeId}` });
  await manager.send('POST', `/nodes/${nodeId}/update`, {
    what: `setting node ${nodeId} to ${availability}`,
    query: { version: node.Version.Index },
    body: { ...node.Spec, Availability: availability },
  });
}
