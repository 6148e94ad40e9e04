import type { Provider } from '../../src/core/fleet/provider.js';
import { createFleetbot, type Fleetbot } from '../../src/main.js';
import { testConfig, tempDir } from '../../test/support/env.js';
import { memoryBridge } from '../../test/support/memoryBridge.js';
import { median, repeat } from '../stats.js';
import { countingLog } from './countingLog.js';
import { destroyAll } from './destroyAll.js';

const chat = { platform: 'telegram', chatId: '1001' } as const;
const user = { platform: 'telegram', userId: '1001' } as const;

export type BatchResult = {
  oneMs: number;
  allMs: number;
  single: number[];
  batches: number[];
  /** CPU time this process (the bot, and any fakes in it) used per batch of n, median. */
  batchCpuMs: number;
  deploys: number;
  failed: number;
  failures: string[];
  sqliteBusy: number;
  /** Per step of the batches' deploys: the median and the slowest time it took, to show where time goes. */
  stepMs: Record<string, { median: number; max: number }>;
  /** The same for the deploys made alone. */
  singleStepMs: Record<string, { median: number; max: number }>;
  /** When the last batch's last job was created, started and finished, from its first job's creation. */
  queuedMs: { lastCreated: number; lastStarted: number; lastFinished: number };
};

function stepTimes(steps: { key: string; startedAt: number | null; finishedAt: number | null }[][]) {
  const byKey = new Map<string, number[]>();
  for (const step of steps.flat())
    if (step.startedAt !== null && step.finishedAt !== null)
      byKey.set(step.key, [...(byKey.get(step.key) ?? []), step.finishedAt - step.startedAt]);
  return Object.fromEntries(
    [...byKey].map(([key, times]) => [key, { median: median(times), max: Math.max(...times) }]),
  );
}

/**
 * The bot with FLEETBOT_CONCURRENCY ≥ n on an in-memory bridge: one deploy alone (several times),
 * then n sent at once (several times), through the router as a person would send them. Every agent
 * is destroyed again at the end so none outlives the run.
 */
export async function deployBatches(opts: {
  n: number;
  singles: number;
  batches: number;
  provider: string;
  providers?: Provider[];
  /** More of the bot's environment (FLEETBOT_INSTANCE, …). */
  env?: Record<string, string>;
  /** What the agents' names start with (then a number); `bench-` unless said. */
  namePrefix?: string;
  /** Runs once before the first deploy (a golden image build). */
  prepare?: (send: (text: string) => Promise<void>) => Promise<void>;
  /** Looks at the bot once every deploy is done, before the agents are destroyed. */
  inspect?: (bot: Fleetbot) => void | Promise<void>;
}): Promise<BatchResult> {
  const tmp = tempDir('fleetbot-bench-');
  const busy = countingLog(/SQLITE_BUSY|database is locked/);
  const memory = memoryBridge('telegram');
  const bot = await createFleetbot(
    testConfig(tmp.dir, {
      FLEETBOT_ADMINS: 'telegram:1001',
      // At most FLEETBOT_CONCURRENCY's own maximum, 64: beyond it, deploys queue.
      FLEETBOT_CONCURRENCY: String(Math.min(Math.max(opts.n, 50), 64)),
      FLEETBOT_RATE_LIMIT: '10000',
      ANTHROPIC_API_KEY: 'sk-ant-bench',
      ...opts.env,
    }),
    {
      bridges: [memory.bridge],
      log: busy.log,
      providerSettings: { local: { pollIntervalMs: 50 } },
      ...(opts.providers ? { providers: opts.providers } : {}),
    },
  );
  const send = async (text: string): Promise<void> => {
    await memory.inject({ kind: 'command', chat, user, direct: true, text, at: new Date() });
  };
  let seq = 0;
  const batchCpu: number[] = [];
  /** Sends the deploys at once and waits for every job to end; returns the wall time. */
  const deployAll = async (count: number): Promise<number> => {
    const started = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(
      Array.from({ length: count }, () =>
        send(`/deploy swe ${opts.namePrefix ?? 'bench-'}${seq++} --provider ${opts.provider}`),
      ),
    );
    await bot.idle();
    const used = process.cpuUsage(cpu);
    if (count > 1) batchCpu.push((used.user + used.system) / 1000);
    return performance.now() - started;
  };
  try {
    await opts.prepare?.(async (text) => {
      await send(text);
      await bot.idle();
    });
    const before = bot.store.jobs.recent(10_000).length;
    const single = await repeat(opts.singles, () => deployAll(1));
    const batches = await repeat(opts.batches, () => deployAll(opts.n));
    const jobs = bot.store.jobs.recent(10_000).slice(0, seq);
    if (jobs.length !== seq || bot.store.jobs.recent(10_000).length !== before + seq)
      throw new Error(`${seq} deploys sent, ${jobs.length} jobs made`);
    const batch = jobs.slice(0, opts.n);
    const batchStart = Math.min(...batch.map((j) => j.createdAt));
    const failed = jobs.filter((j) => j.status !== 'succeeded');
    await opts.inspect?.(bot);
    return {
      oneMs: median(single),
      allMs: median(batches),
      single,
      batches,
      batchCpuMs: median(batchCpu),
      deploys: seq,
      failed: failed.length,
      failures: failed.flatMap((j) =>
        bot.store.steps.forJob(j.id).flatMap((step) => (step.error ? [step.error] : [])),
      ),
      sqliteBusy: busy.count(),
      stepMs: stepTimes(batch.map((j) => bot.store.steps.forJob(j.id))),
      // The newest come first: the singles were the first sent, so they are last.
      singleStepMs: stepTimes(jobs.slice(-opts.singles).map((j) => bot.store.steps.forJob(j.id))),
      queuedMs: {
        lastCreated: Math.max(...batch.map((j) => j.createdAt)) - batchStart,
        lastStarted: Math.max(...batch.map((j) => j.startedAt ?? 0)) - batchStart,
        lastFinished: Math.max(...batch.map((j) => j.finishedAt ?? 0)) - batchStart,
      },
    };
  } finally {
    await destroyAll(bot, 'telegram:1001');
    await bot.stop();
    tmp.cleanup();
  }
}
