import type { Fleetbot } from '../../src/main.js';

/** Destroys every running agent and waits, so no agent process outlives a benchmark. */
export async function destroyAll(bot: Fleetbot, requester: string): Promise<void> {
  const [platform, chatId = ''] = requester.split(':');
  for (const agent of bot.store.agents.list().filter((a) => a.status === 'running'))
    bot.fleet.destroy({ agent, requester, chat: { platform: platform as 'telegram', chatId } });
  await bot.idle();
}
