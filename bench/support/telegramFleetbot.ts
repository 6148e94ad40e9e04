import { startChatBot } from '../../test/support/chatBot.js';
import { tempDir } from '../../test/support/env.js';
import { fakeTelegramBridge, scaledPace } from '../../test/support/telegramSession.js';

/**
 * fleetbot with its real Telegram bridge pointed at a fake in another process, paced as the Telegram
 * test sessions pace it: scaled to the fake's flood limits so they are not what is measured.
 */
export async function startTelegramFleetbot(fake: { apiRoot: string; token: string }, admins: number[]) {
  const tmp = tempDir('fleetbot-bench-');
  const bridge = fakeTelegramBridge(fake, {
    onFatal: (err) => {
      throw err;
    },
    pace: scaledPace,
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
