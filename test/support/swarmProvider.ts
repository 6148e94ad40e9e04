import { spawnSync } from 'node:child_process';
import { systemClock, type Clock } from '../../src/core/runtime/clock.js';
import { createSwarmProvider } from '../../src/providers/swarm/index.js';
import type { SwarmLab } from './swarmLab.js';

/** The swarm provider on the lab's two nodes, as the module builds it, its Engines checked against the API document. */
export const labSwarmProvider = (
  lab: SwarmLab,
  opts: { instance: string; clock?: Clock; portBase?: number; reachWorker?: boolean },
) =>
  createSwarmProvider({
    manager: lab.manager,
    // Without the worker's Engine, as when FLEETBOT_SWARM_NODES leaves a node out.
    nodeEngines: new Map(opts.reachWorker === false ? [] : [[lab.workerAddress, lab.worker]]),
    nodesVariable: 'FLEETBOT_SWARM_NODES',
    defaultImage: lab.image,
    portBase: opts.portBase ?? 31_000,
    healthDeadlineMs: 60_000,
    instance: opts.instance,
    clock: opts.clock ?? systemClock,
  });

const docker = (args: string[]): string[] => {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
};

/** What the manager's node holds for one agent (or every agent of an instance), read with the docker CLI. */
export function swarmLeftovers(labels: Record<string, string>): string[] {
  const filters = Object.entries(labels).flatMap(([k, v]) => ['--filter', `label=${k}=${v}`]);
  return [
    ...docker(['service', 'ls', ...filters, '--format', 'service {{.Name}}']),
    ...docker(['secret', 'ls', ...filters, '--format', 'secret {{.Name}}']),
    ...docker(['config', 'ls', ...filters, '--format', 'config {{.Name}}']),
    ...docker(['network', 'ls', ...filters, '--format', 'network {{.Name}}']),
    ...docker(['volume', 'ls', ...filters, '--format', 'volume {{.Name}}']),
  ];
}

/** `docker service inspect` as a person would run it, as text. */
export const inspectService = (name: string): string => docker(['service', 'inspect', name]).join('\n');
