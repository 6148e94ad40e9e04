import { createTelegramBridge } from '../../src/bridges/telegram/index.js';
import { systemClock } from '../../src/core/clock.js';
import { commandMenu } from '../../src/main.js';
import { startChatBot } from '../../test/support/chatBot.js';
import { silentLog, tempDir } from '../../test/support/env.js';

/**
 * fleetbot with its real Telegram bridge pointed at a fake in another process. Pacing is the bridge's
 * own, scaled to the fake's flood limits (20 calls a second per chat, 600 a minute per group) the way
 * the Telegram test sessions scale it.
 */
export async function startTelegramFleetbot(fake: { apiRoot: string; token: string }, admins: number[]) {
  const tmp = tempDir('fleetbot-bench-');
  const bridge = createTelegramBridge({
    token: fake.token,
    apiRoot: fake.apiRoot,
    log: silentLog,
    clock: systemClock,
    menu: commandMenu(),
    onFatal: (err) => {
      throw err;
    },
    pace: { private: { minIntervalMs: 60 }, group: { minIntervalMs: 60, perMinute: 600 } },
    pollTimeoutSeconds: 1,
  });
  const { bot } = await startChatBot(
    bridge,
    tmp.dir,
    { FLEETBOT_ADMINS: admins.map((id) => `telegram:${id}`).join(',') },
    { length: 0 },
  );
  return {
    bot,
    async stop(): Promise<void> {
      await bot.idle();
      await bot.stop();
      tmp.cleanup();
    },
  };
}
