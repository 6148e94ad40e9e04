import type { Bridge } from '../../src/core/chat/types.js';
import { createFleetbot, type Fleetbot, type FleetbotDeps } from '../../src/main.js';
import { silentLog, testConfig } from './env.js';

/**
 * The whole bot behind one chat bridge (and any others `alongside` it, such as the HTTP API's), with
 * local agents on timings short enough for tests.
 */
export async function startChatBot(
  bridge: Bridge,
  dataDir: string,
  env: Record<string, string>,
  calls: { length: number },
  {
    alongside = [],
    ...extra
  }: Partial<Pick<FleetbotDeps, 'clock' | 'http' | 'metrics' | 'providers'>> & {
    alongside?: Bridge[];
  } = {},
): Promise<{ bot: Fleetbot; settle: () => Promise<void> }> {
  const bot = await createFleetbot(testConfig(dataDir, env), {
    bridges: [bridge, ...alongside],
    log: silentLog,
    ...extra,
    providerSettings: { local: { healthDeadlineMs: 10_000, stopGraceMs: 2_000, pollIntervalMs: 50 } },
  });
  /** Waits until jobs are done and the bot has stopped talking to the platform's API for a moment. */
  const settle = async (): Promise<void> => {
    for (let seen = -1; seen !== calls.length;) {
      seen = calls.length;
      await new Promise((r) => setTimeout(r, 150));
      await bot.idle();
    }
  };
  return { bot, settle };
}
