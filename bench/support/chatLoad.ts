import type { FakeChat, FakeTelegram, FakeUser } from '../../test/fakes/telegram/index.js';

/** Private chats 1..n, each with its own person (chat id = user id, as Telegram does for DMs). */
export const people = (n: number, firstId = 5_000): { chat: FakeChat; user: FakeUser }[] =>
  Array.from({ length: n }, (_, i) => {
    const id = firstId + i;
    return { chat: { id, type: 'private' }, user: { id, firstName: `User${i}` } };
  });

/**
 * Every chat sends `text` at the same moment; returns, per chat, the milliseconds from injecting the
 * update to the fake receiving the bot's first sendMessage to that chat.
 */
export async function commandBurst(
  fake: FakeTelegram,
  chats: { chat: FakeChat; user: FakeUser }[],
  text: string,
): Promise<number[]> {
  let scanned = fake.calls.length;
  const sentAt = new Map<number, number>();
  for (const { chat, user } of chats) {
    sentAt.set(chat.id, Date.now());
    fake.sendText({ chat, from: user, text });
  }
  const replied = new Map<number, number>();
  await fake.waitFor(() => {
    for (const call of fake.calls.slice(scanned)) {
      const chatId = call.params.chat_id;
      if (call.method === 'sendMessage' && typeof chatId === 'number' && !replied.has(chatId))
        replied.set(chatId, call.at);
    }
    scanned = fake.calls.length;
    return replied.size >= chats.length;
  }, 30_000);
  return chats.map(({ chat }) => replied.get(chat.id)! - sentAt.get(chat.id)!);
}
