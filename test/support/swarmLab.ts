import { z } from 'zod';
import type { Engine } from '../../src/providers/docker/engine.js';
import { must, runTool } from '../lab/tools.js';
import { testDockerSocket, testEngine, testNodeImage } from './docker.js';
import { startNamespacedDockerd } from './namespacedDockerd.js';
import { formSwarm, leaveSwarm, setAvailability } from './swarmForm.js';
import { undoList } from './teardown.js';

/**
 * A Docker Swarm of two nodes on this one machine, without VMs: the host's dockerd as the manager,
 * advertising an address on a veth pair, and a second dockerd in a network namespace of its own (its
 * own data and exec roots, its own socket) joined as a worker. Both have the test node image. Every
 * Engine request of the lab and of the code under test goes through the one API document check.
 * `close` makes both leave the swarm, stops the second dockerd and removes the namespace and the veth,
 * so the host's dockerd is a plain engine again.
 */
export type SwarmLab = {
  /** The manager's Engine (the host's dockerd), checked against the API document. */
  manager: Engine;
  /** The worker's Engine (the dockerd in the namespace), through the same check. */
  worker: Engine;
  managerSocket: string;
  workerSocket: string;
  /** The node addresses Swarm advertises: where published ports answer. */
  managerAddress: string;
  workerAddress: string;
  nodeIds: { manager: string; worker: string };
  image: string;
  spec: ReturnType<typeof testEngine>['spec'];
  /** Sets a node's availability (`drain` moves its tasks away, `active` takes tasks again). */
  setAvailability(nodeId: string, availability: 'active' | 'drain'): Promise<void>;
  close(): Promise<void>;
};

const swarmInfo = z.object({ Swarm: z.object({ NodeID: z.string(), LocalNodeState: z.string() }) });

export async function startSwarmLab(): Promise<SwarmLab> {
  const tag = `${process.pid % 10000}`;
  const ns = `fbsw-${tag}`;
  const veth = `fbsw${tag}`;
  const managerAddress = '10.232.7.1';
  const workerAddress = '10.232.7.2';
  const undo = undoList();
  try {
    const { engine: manager, spec } = testEngine();
    undo.add(() => manager.close());
    const state = await manager.json('GET', '/info', swarmInfo, { what: 'reading the swarm state' });
    if (state.Swarm.LocalNodeState !== 'inactive')
      throw new Error(
        `the host's dockerd is already in a swarm (${state.Swarm.LocalNodeState}); the swarm lab makes its own: docker swarm leave --force`,
      );

    must('ip', ['netns', 'add', ns]);
    undo.add(() => void must('ip', ['netns', 'delete', ns]));
    must('ip', ['link', 'add', `${veth}h`, 'type', 'veth', 'peer', 'name', `${veth}n`]);
    undo.add(() => void runTool('ip', ['link', 'delete', `${veth}h`]));
    must('ip', ['link', 'set', `${veth}n`, 'netns', ns]);
    must('ip', ['addr', 'add', `${managerAddress}/30`, 'dev', `${veth}h`]);
    must('ip', ['link', 'set', `${veth}h`, 'up']);
    // nsenter, not `ip netns exec`: that one remounts /sys, which would hide the cgroups from dockerd.
    const inNs = (...args: string[]) => must('nsenter', [`--net=/var/run/netns/${ns}`, ...args]);
    inNs('ip', 'addr', 'add', `${workerAddress}/30`, 'dev', `${veth}n`);
    inNs('ip', 'link', 'set', `${veth}n`, 'up');
    inNs('ip', 'link', 'set', 'lo', 'up');
    inNs('ip', 'route', 'add', 'default', 'via', managerAddress);

    const { socket: workerSocket, engine: worker } = await startNamespacedDockerd({
      ns,
      what: 'the worker',
      spec,
      undo,
    });

    const nodeIds = await formSwarm(
      { engine: manager, address: managerAddress },
      { engine: worker, address: workerAddress },
      {
        deadlineMs: 30_000,
        joined: (node) =>
          undo.add(
            node === 'worker'
              ? () => leaveSwarm(worker)
              : async () => {
                  await leaveSwarm(manager);
                  // Swarm leaves its gateway bridge behind; the host's dockerd had none before.
                  await manager.send('DELETE', '/networks/docker_gwbridge', {
                    what: 'removing docker_gwbridge',
                  });
                },
          ),
      },
    );

    const image = await testNodeImage(manager);
    await testNodeImage(worker);

    return {
      manager,
      worker,
      managerSocket: testDockerSocket,
      workerSocket,
      managerAddress,
      workerAddress,
      nodeIds,
      image,
      spec,
      setAvailability: (nodeId, availability) => setAvailability(manager, nodeId, availability),
      close: () => undo.run(),
    };
  } catch (err) {
    await undo.run();
    throw err;
  }
}
