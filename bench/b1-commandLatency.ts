import { startFakeTelegram } from '../test/fakes/telegram/index.js';
import { tempDir } from '../test/support/env.js';
import { startTelegramBot } from '../test/support/telegramSession.js';
import type { Benchmark } from './row.js';
import { median, percentile, repeat } from './stats.js';
import { commandBurst, people } from './support/chatLoad.js';
import { startMinimalBot } from './support/minimalBot.js';

/** The fake's flood limits as the Telegram test sessions use them; one reply per chat never nears them. */
const floodLimits = { perChatPerSecond: 20, perChatBurst: 3, groupPerMinute: 600 };

/**
 * B1: n chats send /whoami at once; latency is injection → the fake receiving the reply. fleetbot and
 * a minimal grammY bot run side by side on two instances of the fake, rounds interleaved so drift in
 * the machine's load hits both alike.
 */
export const commandLatency: Benchmark = async ({ quick }) => {
  const n = quick ? 50 : 200;
  const rounds = quick ? 2 : 5;
  const chats = people(n);
  const tmp = tempDir('fleetbot-bench-');
  const fleetFake = await startFakeTelegram(floodLimits);
  const session = await startTelegramBot(tmp.dir, {
    fake: fleetFake,
    env: { FLEETBOT_ADMINS: chats.map((c) => `telegram:${c.user.id}`).join(',') },
  });
  const minimalFake = await startFakeTelegram(floodLimits);
  const minimal = await startMinimalBot(minimalFake);
  try {
    // One warm-up round each: JIT, SQLite statement caches, connection pools.
    const warm = people(20, 90_000);
    await commandBurst(fleetFake, warm, '/whoami');
    await commandBurst(minimalFake, warm, '/whoami');
    const results = await repeat(rounds, async () => {
      const fleet = await commandBurst(fleetFake, chats, '/whoami');
      const base = await commandBurst(minimalFake, chats, '/whoami');
      return {
        fleetP99: percentile(fleet, 99),
        fleetP50: percentile(fleet, 50),
        baseP99: percentile(base, 99),
        baseP50: percentile(base, 50),
      };
    });
    const fleetP99 = median(results.map((r) => r.fleetP99));
    const baseP99 = median(results.map((r) => r.baseP99));
    fleetFake.assertNoViolations();
    return [
      {
        id: 'B1',
        what: `/whoami → first reply, p99 over ${n} chats at once`,
        measured: fleetP99,
        unit: 'ms',
        target: 50,
        detail: { rounds: results },
      },
      {
        id: 'B1',
        what: 'p99 ratio to a minimal grammY bot',
        measured: fleetP99 / Math.max(baseP99, 1),
        unit: '×',
        target: 1.5,
        detail: { fleetP99, baseP99 },
      },
    ];
  } finally {
    await minimal.stop();
    await minimalFake.close();
    await session.stop();
    tmp.cleanup();
  }
};
