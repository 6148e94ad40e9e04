import { createFleetbot } from '../src/main.js';
import { testConfig, tempDir } from '../test/support/env.js';
import { memoryBridge } from '../test/support/memoryBridge.js';
import type { Benchmark } from './row.js';
import { median, repeat } from './stats.js';
import { countingLog } from './support/countingLog.js';
import { destroyAll } from './support/destroyAll.js';

const chat = { platform: 'telegram', chatId: '1001' } as const;
const user = { platform: 'telegram', userId: '1001' } as const;

/**
 * B4: n local deploys sent at once with FLEETBOT_CONCURRENCY ≥ n, against one deploy alone, in this
 * process (the runner gives each benchmark a fresh one, so its peak RSS is the bot's; the agents are
 * child processes and not counted). Every agent is destroyed again so none outlives the run.
 */
export const concurrentDeploys: Benchmark = async ({ quick }) => {
  const n = quick ? 10 : 50;
  const tmp = tempDir('fleetbot-bench-');
  const busy = countingLog(/SQLITE_BUSY|database is locked/);
  const memory = memoryBridge('telegram');
  const bot = await createFleetbot(
    testConfig(tmp.dir, {
      FLEETBOT_ADMINS: 'telegram:1001',
      FLEETBOT_CONCURRENCY: String(Math.max(n, 50)),
      FLEETBOT_RATE_LIMIT: '10000',
    }),
    { bridges: [memory.bridge], log: busy.log, local: { pollIntervalMs: 50 } },
  );
  let seq = 0;
  /** Sends the deploys at once and waits for every job to end; returns the wall time. */
  const deployAll = async (count: number): Promise<number> => {
    const started = performance.now();
    await Promise.all(
      Array.from({ length: count }, () =>
        memory.inject({
          kind: 'command',
          chat,
          user,
          direct: true,
          text: `/deploy swe bench-${seq++}`,
          at: new Date(),
        }),
      ),
    );
    await bot.idle();
    return performance.now() - started;
  };
  try {
    const single = await repeat(quick ? 2 : 3, () => deployAll(1));
    const allMs = median(await repeat(quick ? 1 : 3, () => deployAll(n)));
    const jobs = bot.store.jobs.recent(10_000);
    if (jobs.length !== seq) throw new Error(`${seq} deploys sent, ${jobs.length} jobs made`);
    const failures = jobs
      .filter((j) => j.status !== 'succeeded')
      .flatMap((j) => bot.store.steps.forJob(j.id).flatMap((step) => (step.error ? [step.error] : [])));
    const peakMB = process.resourceUsage().maxRSS / 1024;
    const oneMs = median(single);
    return [
      {
        id: 'B4',
        what: `${n} deploys at once ÷ one deploy (local provider)`,
        measured: allMs / oneMs,
        unit: '×',
        target: 1.3,
        detail: { oneMs, allMs, single },
      },
      { id: 'B4', what: 'peak RSS of the bot process', measured: peakMB, unit: 'MB', target: 250 },
      { id: 'B4', what: 'SQLITE_BUSY errors', measured: busy.count(), unit: '', target: 0 },
      {
        id: 'B4',
        what: `deploys that failed, of ${seq}`,
        measured: jobs.filter((j) => j.status !== 'succeeded').length,
        unit: '',
        target: 0,
        detail: { failures },
      },
    ];
  } finally {
    await destroyAll(bot, 'telegram:1001');
    await bot.stop();
    tmp.cleanup();
  }
};
