import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../src/core/runtime/httpServer.js';
import { startFakeTelegram, type FakeChat } from './fakes/telegram/index.js';
import { silentLog, tempDir } from './support/env.js';
import { useCleanups } from './support/cleanups.js';
import {
  ann,
  annDm,
  startTelegramBot,
  telegramSessions,
  type TelegramSession,
} from './support/telegramSession.js';

describe('telegram bridge under trouble', () => {
  const session = telegramSessions();
  const defer = useCleanups();
  /** Another bot instance polling with the same token: Telegram answers our polls with 409 this often. */
  const anotherPoller = (s: TelegramSession, times: number): void =>
    s.fake.failNext('getUpdates', {
      status: 409,
      description:
        'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
      times,
    });

  it('backs off on 409 and recovers when the other poller goes away', async () => {
    const s = await session();
    anotherPoller(s, 2);
    await s.say(annDm, ann, '/whoami');
    expect(s.fake.lastText(annDm.id)).toMatch(/^You: telegram:1001/);
    expect(s.fatal).toEqual([]);
  });

  it('gives up with a clear reason when another instance keeps polling', async () => {
    const s = await session();
    anotherPoller(s, 10);
    await s.fake.waitFor(() => s.fatal.length > 0, 5000);
    expect(s.fatal[0]!.message).toMatch(
      /Another instance is polling Telegram with this bot token \(409 Conflict\)\. Stop the other instance/,
    );
  });

  it('survives dropped connections while polling', async () => {
    const s = await session();
    s.fake.failNext('getUpdates', { dropConnection: true, times: 3 });
    await s.say(annDm, ann, '/whoami');
    expect(s.fake.lastText(annDm.id)).toMatch(/^You: telegram:1001/);
  });

  it('handles each update once across a restart', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const fake = await startFakeTelegram({ perChatPerSecond: 20 });
    defer(() => fake.close());
    const first = await startTelegramBot(tmp.dir, { fake });
    await first.say(annDm, ann, '/whoami');
    await first.stop(false);
    const second = await startTelegramBot(tmp.dir, { fake });
    defer(() => second.stop(false));
    await second.say(annDm, ann, '/roles');
    expect(fake.messages(annDm.id).map((m) => m.plainText.split('\n')[0])).toEqual([
      'You: telegram:1001 (@ann)',
      'Roles',
    ]);
  });

  it('waits out 429s and still lands the newest state of every card', async () => {
    const fake = await startFakeTelegram({ perChatPerSecond: 1, perChatBurst: 2 });
    defer(() => fake.close());
    // No pacing on our side, so Telegram's flood control answers 429 and the bridge must cope.
    const s = await session({ fake, pace: { private: { minIntervalMs: 0 }, group: { minIntervalMs: 0 } } });
    fake.sendText({ chat: annDm, from: ann, text: '/deploy swe alice' });
    fake.sendText({ chat: annDm, from: ann, text: '/deploy swe bob' });
    await fake.waitFor(() => s.bot.store.jobs.recent(5).length === 2);
    await s.settle();
    expect(fake.stats.tooManyRequests).toBeGreaterThan(0);
    const texts = fake.messages(annDm.id).map((m) => m.plainText);
    expect(texts.filter((t) => /^✅ Done: Deploy (alice|bob) /.test(t))).toHaveLength(2);
    for (const name of ['alice', 'bob'])
      s.bot.fleet.destroy({
        agent: s.bot.store.agents.live(name)!,
        requester: 'telegram:1001',
        chat: { platform: 'telegram', chatId: '1001' },
      });
    await s.settle();
  }, 30_000);

  it('posts a new card when the old one can no longer be edited, and the job follows it', async () => {
    const s = await session();
    s.fake.failNext('editMessageText', {
      status: 400,
      description: 'Bad Request: message to edit not found',
      times: 1,
    });
    await s.say(annDm, ann, '/deploy swe alice');
    const messages = s.fake.messages(annDm.id);
    expect(messages).toHaveLength(2);
    expect(messages[1]!.plainText).toMatch(/^✅ Done: Deploy alice/);
    expect(s.bot.store.jobs.byId(1)!.messageId).toBe(String(messages[1]!.messageId));
    s.bot.fleet.destroy({
      agent: s.bot.store.agents.live('alice')!,
      requester: 'telegram:1001',
      chat: { platform: 'telegram', chatId: '1001' },
    });
    await s.settle();
  });

  it('moves a group’s allowlist entry and jobs when it becomes a supergroup', async () => {
    const group: FakeChat = { id: -200, type: 'group', title: 'Ops' };
    const s = await session({ env: { FLEETBOT_CHATS: 'telegram:-200' } });
    await s.say(group, ann, '/whoami');
    s.fake.migrateChat(-200, -100200);
    const supergroup: FakeChat = { id: -100200, type: 'supergroup', title: 'Ops' };
    await s.fake.waitFor(() => s.bot.store.chats.get('telegram', '-100200')?.allowed === true);
    expect(s.bot.store.chats.get('telegram', '-200')?.allowed).toBe(false);
    const member = { id: 3003, firstName: 'Cy' };
    await s.say(supergroup, member, '/list');
    expect(s.fake.lastText(supergroup.id)).toMatch(/^No agents yet\./);
  });

  it('stops writing to a chat that blocked the bot', async () => {
    const s = await session();
    await s.say(annDm, ann, '/whoami');
    s.fake.blockChat(annDm.id);
    const before = s.fake.calls.filter((c) => c.method === 'sendMessage').length;
    s.fake.sendText({ chat: annDm, from: ann, text: '/help' });
    await s.fake.waitFor(() => s.bot.store.chats.get('telegram', '1001')?.unreachable === true);
    // A job's card for that chat is not attempted at all while it is unreachable.
    await expect(
      s.bot.router.handle({
        kind: 'command',
        chat: { platform: 'telegram', chatId: '1001' },
        user: { platform: 'telegram', userId: '1001' },
        direct: true,
        text: '/roles',
        at: new Date(),
      }),
    ).resolves.toBeUndefined();
    await s.settle();
    expect(s.fake.calls.filter((c) => c.method === 'sendMessage').length).toBe(before + 2);
  });

  it('receives updates by webhook only with the right secret, once each', async () => {
    const http = createHttpServer({ port: 0, host: '127.0.0.1', log: silentLog });
    const port = await http.listen();
    defer(() => http.close());
    // Telegram posts to the public HTTPS URL; a reverse proxy hands the request to our port.
    const url = 'https://bot.example.test/telegram/hook';
    const local = `http://127.0.0.1:${port}/telegram/hook`;
    const secret = 'test-secret-0123456789';
    const s = await session({ webhook: { url, secret, http } });
    const setWebhook = s.fake.calls.find((c) => c.method === 'setWebhook')!;
    expect(setWebhook.params).toMatchObject({ url, secret_token: secret });

    const update = {
      update_id: 900001,
      message: {
        message_id: 5,
        date: Math.floor(Date.now() / 1000),
        chat: { id: 1001, type: 'private', first_name: 'Ann' },
        from: { id: 1001, is_bot: false, first_name: 'Ann', username: 'ann' },
        text: '/whoami',
        entities: [{ type: 'bot_command', offset: 0, length: 7 }],
      },
    };
    const post = (headers: Record<string, string>) =>
      request(local, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(update),
      });
    const forged = await post({ 'x-telegram-bot-api-secret-token': 'wrong-secret-0123456789' });
    expect(forged.statusCode).toBe(401);
    expect((await post({})).statusCode).toBe(401);
    const good = await post({ 'x-telegram-bot-api-secret-token': secret });
    expect(good.statusCode).toBe(200);
    const redelivered = await post({ 'x-telegram-bot-api-secret-token': secret });
    expect(redelivered.statusCode).toBe(200);
    await s.settle();
    expect(s.fake.messages(1001).map((m) => m.plainText)).toEqual([
      'You: telegram:1001 (@ann)\nThis chat: telegram:1001\nLevel: admin',
    ]);
    expect(s.fake.calls.some((c) => c.method === 'getUpdates')).toBe(false);
  });
});
