import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { z } from 'zod';
import { systemClock } from '../src/core/runtime/clock.js';
import type { Engine } from '../src/providers/docker/engine.js';
import { created } from '../src/providers/docker/objects.js';
import { managedLabels } from '../src/providers/labels.js';
import { defaultSubnetPool, subnetPicker } from '../src/providers/docker/subnets.js';
import { dockerDeployTimings } from '../src/providers/docker/module.js';
import { createDockerProvider } from '../src/providers/docker/index.js';
import { localReach } from '../src/providers/docker/reach.js';
import { removeLabelled } from '../test/docker/leftovers.js';
import { dockerUnavailable, testEngine, testNodeImage } from '../test/support/docker.js';
import type { Benchmark, Row } from './row.js';
import { median } from './stats.js';
import { deployBatches } from './support/deployBatches.js';
import { processCpuMs } from './support/processCpu.js';
import { watchStartToHealthy } from './support/startToHealthy.js';

/** Every Docker object B10 makes carries this instance label, and nothing else it touches. */
const instance = 'bench-b10';
/** Agents b10-0, b10-1, …: containers fleetbot-b10-0, …, a prefix no test uses. */
const namePrefix = 'b10-';

/**
 * Removes whatever carries B10's instance label. The Engine refuses a removal while an earlier one
 * of the same container (a destroy the bot had begun) is still in progress, so it tries again.
 */
async function sweep(): Promise<void> {
  for (let attempt = 1; ; attempt++)
    try {
      removeLabelled(`fleetbot-instance=${instance}`);
      return;
    } catch (err) {
      if (attempt === 5) throw err;
      await new Promise((r) => setTimeout(r, 2_000));
    }
}

const containerStats = z.object({
  memory_stats: z.object({ usage: z.number(), stats: z.record(z.string(), z.number()) }),
  cpu_stats: z.object({ cpu_usage: z.object({ total_usage: z.number() }) }),
});

/** CPU time dockerd and containerd have used so far (the shims and runc are not counted: a floor stays a floor). */
const daemonsCpuMs = (): number =>
  execFileSync('pidof', ['dockerd', 'containerd'], { encoding: 'utf8' })
    .trim()
    .split(/\s+/)
    .reduce((sum, pid) => sum + processCpuMs(Number(pid)), 0);

/**
 * What the Engine takes to give an agent its own network, as the deploy's network step asks for it
 * (the listing its subnet is picked from, then the create): nothing in a deploy can start its
 * container sooner, so start→healthy plus this is B10a's floor. The median of three.
 */
async function ownNetworkMs(engine: Engine): Promise<number> {
  const subnets = subnetPicker(defaultSubnetPool);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const name = `fleetbot-${namePrefix}network-floor-${i}`;
    const asked = performance.now();
    const subnet = await subnets.pick(engine, name);
    await engine.json('POST', '/networks/create', created, {
      what: `creating network ${name}`,
      body: {
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] },
        Labels: managedLabels(instance),
      },
    });
    times.push(performance.now() - asked);
    subnets.settle(name);
    await engine.send('DELETE', `/networks/${name}`, { what: `removing network ${name}` });
  }
  return median(times);
}

/**
 * B10: the docker provider against the real dockerd on this host, through the Engine API document's
 * check, deploying the swe role's reference agent (templates/agent/server.mjs) in the offline test
 * image, as B4 deploys: one deploy alone (several times), then n at once, through the router.
 *
 * B10a holds a deploy against the container's own start→healthy, watched in the same deploys
 * (startToHealthy.ts), so what is left is fleetbot's work around Docker: its port, network, volumes
 * and container, and its health polls at production's pace. Its floor adds the Engine's time to make
 * the agent's own network, measured in the same run. B10b is B4's batch with its CPU floor:
 * the agents' start-up (the Engine's CPU count per container), dockerd's and containerd's work per
 * deploy and the bot's own, spread over every core. B10c reads each agent container's memory from
 * the Engine and the bot's RSS growth per deploy. One batch of n: a hundred containers and their
 * destroy take about a minute on this machine.
 */
export const dockerDeploys: Benchmark = async ({ quick }) => {
  const unavailable = dockerUnavailable();
  if (unavailable) {
    // A machine without dockerd (or a run without root) measures nothing here, and that is not a failure.
    process.stderr.write(` B10 not run: ${unavailable}`);
    return [
      {
        id: 'B10',
        what: 'not run: no Docker Engine answers, or not root (why: results.json)',
        measured: 0,
        unit: '',
        target: 0,
        detail: { unavailable },
      },
    ];
  }
  const n = quick ? 4 : 100;
  const singles = quick ? 1 : 3;
  const { engine, spec } = testEngine();
  const reach = localReach();
  // What a run that was killed left behind, by this benchmark's own label only.
  await sweep();
  try {
    const networkMs = await ownNetworkMs(engine);
    const watch = watchStartToHealthy(
      createDockerProvider({
        subnets: subnetPicker(defaultSubnetPool),
        engine,
        reach,
        instance,
        defaultImage: await testNodeImage(engine),
        clock: systemClock,
        // As src/providers/docker/module.ts builds it for DOCKER_HOST.
        ...dockerDeployTimings,
      }),
      singles,
    );
    let before = { rssMB: 0, daemonsCpuMs: 0 };
    const memory: number[] = [];
    const rawMemory: number[] = [];
    const agentCpuMs: number[] = [];
    let after = { rssMB: 0, daemonsCpuMs: 0, agents: 0 };
    const result = await deployBatches({
      n,
      provider: 'docker',
      providers: [watch.provider],
      env: { FLEETBOT_INSTANCE: instance },
      namePrefix,
      singles,
      batches: 1,
      prepare: () => {
        before = { rssMB: process.memoryUsage().rss / 2 ** 20, daemonsCpuMs: daemonsCpuMs() };
        return Promise.resolve();
      },
      inspect: async (bot) => {
        const running = bot.store.agents.list().filter((a) => a.status === 'running');
        after = {
          rssMB: process.memoryUsage().rss / 2 ** 20,
          daemonsCpuMs: daemonsCpuMs(),
          agents: running.length,
        };
        for (const agent of running) {
          const s = await engine.json('GET', `/containers/fleetbot-${agent.name}/stats`, containerStats, {
            what: `reading the stats of fleetbot-${agent.name}`,
            query: { stream: false, 'one-shot': true },
          });
          // As `docker stats` counts it: the page cache the kernel can take back is not the agent's.
          const reclaimable =
            s.memory_stats.stats['total_inactive_file'] ?? s.memory_stats.stats['inactive_file'] ?? 0;
          memory.push((s.memory_stats.usage - reclaimable) / 2 ** 20);
          rawMemory.push(s.memory_stats.usage / 2 ** 20);
          if (Number(agent.name.slice(namePrefix.length)) >= singles)
            agentCpuMs.push(s.cpu_stats.cpu_usage.total_usage / 1e6);
        }
      },
    });
    const startToHealthy = await watch.times();
    if (spec.violations.length > 0)
      throw new Error(`requests outside Docker's API document: ${JSON.stringify(spec.violations)}`);
    const cores = cpus().length;
    const oneStartMs = median(startToHealthy);
    const daemonsPerDeployMs = (after.daemonsCpuMs - before.daemonsCpuMs) / result.deploys;
    const oneAgentCpuMs = agentCpuMs.length > 0 ? median(agentCpuMs) : 0;
    // n containers' start-up, the daemons' work for n deploys and the bot's own, over every core.
    const floor = (n * (oneAgentCpuMs + daemonsPerDeployMs) + result.batchCpuMs) / cores / result.oneMs;
    const rows: Row[] = [
      {
        id: 'B10',
        what: `docker deploy wall time ÷ container start→healthy (${oneStartMs.toFixed(0)} ms; floor ${((oneStartMs + networkMs) / oneStartMs).toFixed(2)} × with its network's ${networkMs.toFixed(0)} ms)`,
        measured: result.oneMs / oneStartMs,
        unit: '×',
        target: 1.2,
        detail: {
          single: result.single,
          startToHealthy,
          networkMs,
          floor: (oneStartMs + networkMs) / oneStartMs,
          stepMs: result.singleStepMs,
        },
      },
      {
        id: 'B10',
        what: `${n} docker deploys at once ÷ one (CPU floor ${floor.toFixed(1)} ×)`,
        measured: result.allMs / result.oneMs,
        unit: '×',
        // About twice the CPU floor at n = 100 (BENCHMARKS.md, B10).
        target: 15,
        detail: {
          oneMs: result.oneMs,
          allMs: result.allMs,
          batchCpuMs: result.batchCpuMs,
          oneAgentCpuMs,
          daemonsPerDeployMs,
          cores,
          floor,
          stepMs: result.stepMs,
          queuedMs: result.queuedMs,
        },
      },
      {
        id: 'B10',
        what: `docker deploys that failed, of ${result.deploys}`,
        measured: result.failed,
        unit: '',
        target: 0,
        detail: { failures: result.failures },
      },
      {
        id: 'B10',
        what: 'agent container memory (Engine stats, median)',
        measured: median(memory),
        unit: 'MB',
        target: 64,
        detail: { containers: memory.length, max: Math.max(...memory), withPageCache: median(rawMemory) },
      },
      {
        id: 'B10',
        // Per deploy, not per agent alive: a failed deploy's job, steps and undo are the bot's memory too.
        what: 'bot RSS growth per docker deploy',
        measured: (after.rssMB - before.rssMB) / result.deploys,
        unit: 'MB',
        target: 1,
        detail: { before: before.rssMB, after: after.rssMB, deploys: result.deploys, alive: after.agents },
      },
    ];
    return rows;
  } finally {
    await sweep();
    await reach.close();
    await engine.close();
  }
};
