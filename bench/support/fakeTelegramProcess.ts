import { startFakeTelegram } from '../../test/fakes/telegram/index.js';
import { commandBurst } from './chatLoad.js';
import type { BurstRequest, FakeReady } from './remoteFake.js';

/**
 * The fake Bot API in a process of its own, as Telegram is to a real bot: its request parsing and
 * spec checks then do not queue on the bot's event loop and inflate the bot's latency.
 */
const fake = await startFakeTelegram({ perChatPerSecond: 20, perChatBurst: 3, groupPerMinute: 600 });
process.on('message', (request: BurstRequest) => {
  void commandBurst(fake, request.chats, request.text).then(
    (latencies) => process.send!({ latencies, violations: fake.violations.length }),
    (err: unknown) => process.send!({ error: String(err) }),
  );
});
process.on('disconnect', () => void fake.close().then(() => process.exit(0)));
const ready: FakeReady = { apiRoot: fake.apiRoot, token: fake.token };
process.send!(ready);
