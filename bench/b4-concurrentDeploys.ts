import { cpus } from 'node:os';
import { z } from 'zod';
import type { Benchmark, Row } from './row.js';
import { median } from './stats.js';
import { deployBatches, type BatchResult } from './support/deployBatches.js';
import { latentCloud } from './support/hetznerDeploys.js';
import { processCpuMs } from './support/processCpu.js';

const pidOf = z.object({ pid: z.number().int() });

/**
 * B4: n deploys sent at once with FLEETBOT_CONCURRENCY ≥ n, against one deploy alone, in this process
 * (the runner gives each benchmark a fresh one, so its peak RSS is the bot's plus the fakes').
 *
 * With the local provider each deploy starts an agent's Node process, whose start-up CPU bounds the
 * batch from below on a machine with few cores; that floor is measured (the agents' own CPU time) and
 * reported. The target's question, whether fleetbot's own queue, SQLite writes and polling let n deploys
 * overlap, is answered by the Hetzner row: deploys against the fakes with B2's injected latencies,
 * whose machines answer for their agents from the fakes' process (standInAgents).
 */
export const concurrentDeploys: Benchmark = async ({ quick }) => {
  const n = quick ? 10 : 50;
  let agentCpuMs: number[] = [];
  const local = await deployBatches({
    n,
    provider: 'local',
    singles: quick ? 2 : 3,
    batches: quick ? 1 : 3,
    inspect: (bot) => {
      agentCpuMs = bot.store.agents
        .list()
        .flatMap((a) => (a.status === 'running' ? [pidOf.safeParse(a.resources)] : []))
        .flatMap((p) => (p.success ? [processCpuMs(p.data.pid)] : []));
    },
  });
  // The bot alone: its agents are processes of their own, and the fakes below are not started yet.
  const botPeakMB = process.resourceUsage().maxRSS / 1024;
  const cloud = await latentCloud({ standInAgents: true });
  let hetzner: BatchResult;
  try {
    hetzner = await deployBatches({
      n,
      provider: 'hetzner',
      providers: [cloud.provider],
      singles: quick ? 1 : 2,
      batches: quick ? 1 : 3,
      prepare: (send) => send('/image build swe'),
    });
  } finally {
    await cloud.close();
  }
  const cores = cpus().length;
  const oneAgentCpuMs = median(agentCpuMs);
  // n agents' start-up and the bot's own work for n deploys (spawning is a fork of this process),
  // spread over every core: no queue can finish the batch sooner than the cores can do that work.
  const floor = (n * oneAgentCpuMs + local.batchCpuMs) / cores / local.oneMs;
  const ratio = (r: BatchResult): number => r.allMs / r.oneMs;
  const detail = ({ oneMs, allMs, single, batches, batchCpuMs, stepMs, queuedMs }: BatchResult) => ({
    oneMs,
    allMs,
    single,
    batches,
    batchCpuMs,
    stepMs,
    queuedMs,
  });
  const rows: Row[] = [
    {
      id: 'B4',
      what: `${n} hetzner deploys at once ÷ one (fakes, B2's latencies)`,
      measured: ratio(hetzner),
      unit: '×',
      target: 1.3,
      detail: { ...detail(hetzner), peakMBWithFakes: process.resourceUsage().maxRSS / 1024 },
    },
    {
      id: 'B4',
      what: `${n} local deploys at once ÷ one (CPU floor ${floor.toFixed(1)} ×)`,
      measured: ratio(local),
      unit: '×',
      // Reported against the target all the same: when the floor is above it, so is this row.
      target: 1.3,
      detail: { ...detail(local), oneAgentCpuMs, agents: agentCpuMs.length, cores, floor },
    },
    {
      id: 'B4',
      what: 'peak RSS of the bot process (local deploys)',
      measured: botPeakMB,
      unit: 'MB',
      target: 250,
    },
    {
      id: 'B4',
      what: 'SQLITE_BUSY errors',
      measured: local.sqliteBusy + hetzner.sqliteBusy,
      unit: '',
      target: 0,
    },
  ];
  for (const [name, r] of [
    ['local', local],
    ['hetzner', hetzner],
  ] as const)
    rows.push({
      id: 'B4',
      what: `${name} deploys that failed, of ${r.deploys}`,
      measured: r.failed,
      unit: '',
      target: 0,
      detail: { failures: r.failures },
    });
  return rows;
};
