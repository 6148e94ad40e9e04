import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import type { FakeChat, FakeUser } from './fakes/telegram/index.js';
import {
  ann,
  annDm,
  bob,
  buttonData,
  seedRunningAgent,
  telegramSessions,
  type TelegramSession as Session,
} from './support/telegramSession.js';
import { agentWithLog } from './support/agents.js';

describe('telegram bridge', () => {
  const sessions = telegramSessions();
  const session = (env: Record<string, string> = {}): Promise<Session> => sessions({ env });

  it('deploys from a private chat on one edited message, then destroys via the card’s button', async () => {
    const s = await session();
    expect(s.fake.commands({ type: 'chat', chat_id: ann.id }).map((c) => c.command)).toEqual(
      expect.arrayContaining(['deploy', 'destroy', 'status', 'help']),
    );

    await s.say(annDm, ann, '/deploy swe alice');
    const cards = s.fake.messages(annDm.id);
    expect(cards).toHaveLength(1);
    const card = cards[0]!;
    expect(card.parseMode).toBe('HTML');
    expect(card.history.length).toBeGreaterThan(1);
    const final = s.fake.lastText(annDm.id)!;
    expect(final).toMatch(/^✅ Done: Deploy alice \(swe, local\) · job #1/);
    expect(final).toMatch(/✅ Wait for health · \d+\.\d s/);
    const url = /URL: (http:\/\/127\.0\.0\.1:\d+)/.exec(final)![1]!;
    expect(card.history.at(-1)!.text).toContain(`<a href="${url}">${url}</a>`);
    expect((await request(`${url}/health`)).statusCode).toBe(200);

    await s.say(annDm, ann, '/destroy alice');
    const confirmCard = s.fake.messages(annDm.id).at(-1)!;
    expect(confirmCard.plainText).toMatch(/^Destroy alice\?/);
    const data = buttonData(s, annDm.id, confirmCard.messageId, /^Approve destroy$/);
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(data).not.toMatch(/alice|destroy|confirm/i);
    expect(confirmCard.replyMarkup?.inline_keyboard[0]![0]).toMatchObject({ style: 'danger' });

    const press = s.fake.pressButton({ chat: annDm, from: ann, messageId: confirmCard.messageId, data });
    await s.fake.waitFor(() =>
      s.fake.callbackAnswers.some((a) => a.callbackQueryId === press.callbackQueryId),
    );
    await s.bot.idle();
    expect(s.fake.callbackAnswers.at(-1)).toMatchObject({ text: 'Destroying alice…' });
    expect(s.fake.messages(annDm.id).find((m) => m.messageId === confirmCard.messageId)!.plainText).toMatch(
      /^Destroy of alice approved by telegram:1001 at/,
    );
    expect(s.fake.lastText(annDm.id)).toMatch(/^✅ Done: Destroy alice · job #2/);
    await expect(request(`${url}/health`)).rejects.toThrow();

    // A second press on the resolved card says so and changes nothing.
    const again = s.fake.pressButton({ chat: annDm, from: ann, messageId: confirmCard.messageId, data });
    await s.fake.waitFor(() =>
      s.fake.callbackAnswers.some((a) => a.callbackQueryId === again.callbackQueryId),
    );
    expect(s.fake.callbackAnswers.at(-1)!.text).toMatch(/^Already resolved \(approve by telegram:1001\)/);
    expect(s.bot.store.jobs.recent(10)).toHaveLength(2);
    s.fake.assertNoViolations();
  });

  it('refuses presses by people who may not act, and forged or stale ids, with a toast and no change', async () => {
    const group: FakeChat = { id: -200, type: 'group', title: 'Ops' };
    const s = await session({ FLEETBOT_CHATS: 'telegram:-200' });
    seedRunningAgent(s.bot, 'alice');
    await s.say(group, ann, '/destroy alice');
    const card = s.fake.messages(group.id).at(-1)!;
    const data = buttonData(s, group.id, card.messageId, /^Approve destroy$/);

    const pressAs = async (from: FakeUser, d: string, forged = false): Promise<string | undefined> => {
      const p = s.fake.pressButton({ chat: group, from, messageId: card.messageId, data: d, forged });
      await s.fake.waitFor(() => s.fake.callbackAnswers.some((a) => a.callbackQueryId === p.callbackQueryId));
      return s.fake.callbackAnswers.find((a) => a.callbackQueryId === p.callbackQueryId)!.text;
    };
    // Bob is a member of an allowed group: he may look, not destroy.
    expect(await pressAs(bob, data)).toBe('This needs the operator level; you are viewer.');
    expect(await pressAs(ann, 'AAAAAAAAAAAA', true)).toMatch(/not valid any more/);
    expect(await pressAs(ann, 'x'.repeat(64), true)).toMatch(/not valid any more/);
    expect(s.bot.store.agents.live('alice')?.status).toBe('running');
    expect(s.fake.messages(group.id).find((m) => m.messageId === card.messageId)!.history).toHaveLength(1);
    expect(s.bot.store.jobs.recent(5)).toEqual([]);
    const keep = buttonData(s, group.id, card.messageId, /^Cancel$/);
    expect(await pressAs(ann, keep)).toBe('Cancelled; nothing was changed.');
    expect(await pressAs(ann, data)).toMatch(/^Already resolved/);
    s.fake.assertNoViolations();
  });

  it('answers commands in groups and forum topics, and ignores chatter and other bots’ commands', async () => {
    const forum: FakeChat = { id: -1001234, type: 'supergroup', title: 'Ops', isForum: true };
    const s = await session({ FLEETBOT_CHATS: 'telegram:-1001234' });
    await s.say(forum, ann, `/whoami@${s.fake.botUsername}`, { threadId: 7 });
    const inTopic = s.fake.messages(forum.id).at(-1)!;
    expect(inTopic.threadId).toBe(7);
    expect(inTopic.plainText).toMatch(
      /^You: telegram:1001 \(@ann\)\nThis chat: telegram:-1001234\nLevel: admin$/,
    );

    // The General topic is addressed without a thread id.
    await s.say(forum, ann, '/whoami');
    expect(s.fake.messages(forum.id).at(-1)!.threadId).toBeUndefined();

    const calls = s.fake.calls.length;
    s.fake.sendText({ chat: forum, from: ann, text: 'just chatting about /deploy' });
    s.fake.sendText({ chat: forum, from: ann, text: '/list@SomeOtherBot' });
    await s.say(forum, ann, '/list');
    expect(s.fake.calls.slice(calls).filter((c) => c.method === 'sendMessage')).toHaveLength(1);
    expect(s.fake.lastText(forum.id)).toMatch(/^No agents yet\./);
    s.fake.assertNoViolations();
  });

  it('refuses an unknown chat once with its ids, then stays quiet during the cool-down', async () => {
    const s = await session();
    const stranger: FakeUser = { id: 5555, firstName: 'Eve' };
    const strangerGroup: FakeChat = { id: -300, type: 'group', title: 'Elsewhere' };
    await s.say(strangerGroup, stranger, '/deploy swe evil');
    expect(s.fake.lastText(strangerGroup.id)).toBe(
      'This chat is not allowed to use fleetbot.\nyour id: telegram:5555, this chat: telegram:-300. Ask an admin (telegram:1001) to send /allow chat telegram:-300.',
    );
    s.fake.sendText({ chat: strangerGroup, from: stranger, text: '/list' });
    s.fake.sendText({ chat: strangerGroup, from: stranger, text: '/help' });
    await s.say(annDm, ann, '/whoami');
    expect(s.fake.messages(strangerGroup.id)).toHaveLength(1);
    // One audit row per stranger per cool-down, like the one reply.
    expect(s.bot.store.audit.recent(10).filter((a) => a.userId === '5555')).toHaveLength(1);
    expect(s.bot.store.jobs.recent(5)).toEqual([]);
  });

  it('sends long output split at line boundaries, and very long output as a file', async () => {
    const s = await session();
    const line = (i: number): string =>
      `${String(i).padStart(4, '0')} <script>alert("&")</script> ${'x'.repeat(60)}`;
    agentWithLog(
      s.bot.store,
      'loud',
      'telegram:1001',
      Array.from({ length: 500 }, (_, i) => line(i)),
    );

    await s.say(annDm, ann, '/logs loud -n 100');
    const parts = s.fake.messages(annDm.id);
    expect(parts.length).toBe(3);
    for (const p of parts) expect(p.plainText.length).toBeLessThanOrEqual(4096);
    expect(parts.map((p) => p.plainText).join('\n')).toContain(line(499));
    expect(parts[0]!.text).toContain('&lt;script&gt;alert("&amp;")&lt;/script&gt;');

    await s.say(annDm, ann, '/logs loud -n 500');
    const doc = s.fake.messages(annDm.id).at(-1)!;
    expect(doc.document).toMatchObject({ fileName: 'fleetbot-output.txt' });
    expect(doc.document!.size).toBeGreaterThan(500 * 60);
    expect(doc.text).toMatch(/full text attached: 501 lines/);
    s.fake.assertNoViolations();
  });

  it('runs 20 deploys started at once in one chat to the right end with zero 429s', async () => {
    const s = await session({ FLEETBOT_CONCURRENCY: '8' });
    const names = Array.from({ length: 20 }, (_, i) => `agent-${String(i).padStart(2, '0')}`);
    for (const name of names) s.fake.sendText({ chat: annDm, from: ann, text: `/deploy swe ${name}` });
    await s.fake.waitFor(() => s.bot.store.jobs.recent(50).length === 20, 15_000);
    await s.bot.idle();
    const finals = s.fake.messages(annDm.id).map((m) => m.plainText);
    expect(finals).toHaveLength(20);
    for (const name of names)
      expect(finals.filter((t) => t.startsWith(`✅ Done: Deploy ${name} `))).toHaveLength(1);
    expect(s.fake.stats.tooManyRequests).toBe(0);
    expect(s.bot.store.agents.list().filter((a) => a.status === 'running')).toHaveLength(20);
    // Coalescing: no card was edited more often than it has steps, plus the queued and final states.
    for (const m of s.fake.messages(annDm.id)) expect(m.history.length).toBeLessThanOrEqual(3 + 2);
    for (const name of names) {
      const agent = s.bot.store.agents.live(name)!;
      s.bot.fleet.destroy({
        agent,
        requester: 'telegram:1001',
        chat: { platform: 'telegram', chatId: '1001' },
      });
    }
    await s.bot.idle();
    s.fake.assertNoViolations();
  }, 60_000);
});
