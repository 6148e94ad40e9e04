import { Bot } from 'grammy';

/** grammY types its signals with a polyfill's AbortSignal; Node's own is what it receives at run time. */
type GrammySignal = Parameters<Bot['api']['getMe']>[0];

/**
 * The baseline for B1: a grammY bot that only answers /whoami. Its own getUpdates loop hands every
 * update to grammY without waiting for the previous one, as fleetbot's bridge does per chat, so the
 * comparison is of the work per command and not of grammY's sequential bot.start().
 */
export async function startMinimalBot(fake: {
  apiRoot: string;
  token: string;
}): Promise<{ stop: () => Promise<void> }> {
  const bot = new Bot(fake.token, { client: { apiRoot: fake.apiRoot } });
  bot.command('whoami', (ctx) => ctx.reply(`You are ${ctx.from?.id ?? '?'}`));
  await bot.init();
  const stopping = new AbortController();
  const loop = (async () => {
    let offset = 0;
    while (!stopping.signal.aborted) {
      const updates = await bot.api
        .getUpdates({ offset, timeout: 1 }, stopping.signal as unknown as GrammySignal)
        .catch(() => []);
      for (const update of updates) {
        offset = update.update_id + 1;
        void bot.handleUpdate(update);
      }
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
