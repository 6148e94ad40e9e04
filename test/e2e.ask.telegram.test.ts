import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FakeChat, FakeUser } from './fakes/telegram/index.js';
import {
  ann,
  annDm,
  bob,
  buttonData,
  telegramSessions,
  type TelegramSession as Session,
} from './support/telegramSession.js';

/** The bot's newest message in a chat whose text matches, once it is there (answers end in their own time). */
async function message(s: Session, chatId: number, pattern: RegExp) {
  await s.fake.waitFor(() => s.fake.messages(chatId).some((m) => pattern.test(m.plainText)), 20_000);
  return s.fake.messages(chatId).findLast((m) => pattern.test(m.plainText))!;
}

const press = async (s: Session, chat: FakeChat, from: FakeUser, messageId: number, label: RegExp) => {
  const p = s.fake.pressButton({ chat, from, messageId, data: buttonData(s, chat.id, messageId, label) });
  await s.fake.waitFor(() => s.fake.callbackAnswers.some((a) => a.callbackQueryId === p.callbackQueryId));
  return s.fake.callbackAnswers.find((a) => a.callbackQueryId === p.callbackQueryId)!.text;
};

const labels = (s: Session, chatId: number, messageId: number): string[] =>
  s.fake
    .messages(chatId)
    .find((m) => m.messageId === messageId)!
    .replyMarkup?.inline_keyboard.flat()
    .map((b) => b.text) ?? [];

describe('/ask through the Telegram bridge', () => {
  const sessions = telegramSessions();

  it('answers in a private chat, carries on when the answer is replied to, and asks before writing', async () => {
    const s = await sessions();
    await s.say(annDm, ann, '/deploy swe alice');
    expect(s.fake.lastText(annDm.id)).toMatch(/^✅ Done: Deploy alice/);
    const dir = s.bot.store.agents.live('alice')!.resources.dir as string;

    s.fake.sendText({ chat: annDm, from: ann, text: '/ask alice list' });
    const answer = await message(s, annDm.id, /^\. holds:/);
    expect(answer.plainText.trimEnd()).toBe('. holds:\n- agent.log\n- home/\n- secrets.env');

    // A reply to the answer is the next turn of the same conversation; the answer replies to it.
    s.fake.sendText({
      chat: annDm,
      from: ann,
      text: 'write notes.txt hi',
      replyTo: answer.messageId,
    });
    const card = await message(s, annDm.id, /^alice asks permission/);
    expect(card.plainText).toContain('Write notes.txt');
    expect(existsSync(path.join(dir, 'notes.txt'))).toBe(false);
    expect(await press(s, annDm, ann, card.messageId, /^Allow once$/)).toBe('Allowed once');
    const done = await message(s, annDm.id, /^Wrote 3 bytes to notes\.txt\./);
    // It replies to Ann's prompt: a message of hers, not one of the bot's.
    expect(done.replyTo).toBeDefined();
    expect(s.fake.messages(annDm.id).map((m) => m.messageId)).not.toContain(done.replyTo);
    expect(readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('hi\n');
    expect(s.fake.messages(annDm.id).find((m) => m.messageId === card.messageId)!.plainText).toMatch(
      /^alice asked: Write notes\.txt\nAllowed once by telegram:1001 at/,
    );
    expect(s.bot.store.db.prepare('SELECT COUNT(DISTINCT conversation_id) AS n FROM turns').get()).toEqual({
      n: 1,
    });
    expect(s.fake.stats.tooManyRequests).toBe(0);
    s.fake.assertNoViolations();
  });

  it('in a group, only operators talk to the agent, and only the asker or an operator answers its requests', async () => {
    const group: FakeChat = { id: -200, type: 'group', title: 'Ops' };
    const s = await sessions({ env: { FLEETBOT_CHATS: 'telegram:-200' } });
    await s.say(annDm, ann, '/deploy swe alice');
    await s.say(group, bob, '/ask alice list');
    expect(s.fake.lastText(group.id)).toBe(
      'Talking to alice needs the operator level; you are viewer. An admin can change that with /users.',
    );

    s.fake.sendText({ chat: group, from: ann, text: '/ask alice run echo from-the-group' });
    const card = await message(s, group.id, /^alice asks permission/);
    expect(await press(s, group, bob, card.messageId, /^Allow once$/)).toBe(
      'Only telegram:1001, who asked, or an operator can answer this.',
    );
    expect(await press(s, group, ann, card.messageId, /^Reject$/)).toBe('Rejected');
    const answer = await message(s, group.id, /^Not run: permission to run/);
    expect(answer.plainText.trimEnd()).toBe('Not run: permission to run `echo from-the-group` was refused.');

    // Bob's reply to the answer is refused to him; nobody else is bothered, and no turn starts.
    const turns = (): number =>
      (s.bot.store.db.prepare('SELECT COUNT(*) AS n FROM turns').get() as { n: number }).n;
    const before = turns();
    const refusals = (): number =>
      s.fake.messages(group.id).filter((m) => /^Talking to alice needs the operator level/.test(m.plainText))
        .length;
    s.fake.sendText({ chat: group, from: bob, text: 'list', replyTo: answer.messageId });
    await s.fake.waitFor(() => refusals() === 2, 10_000);
    expect(turns()).toBe(before);
    // Chatter that replies to someone else is not fleetbot's business.
    const calls = s.fake.calls.length;
    s.fake.sendText({ chat: group, from: bob, text: 'nice', replyTo: card.messageId });
    await new Promise((r) => setTimeout(r, 500));
    expect(
      s.fake.calls
        .slice(calls)
        .filter((c) => c.method === 'sendMessage')
        .map((c) => c.params.text),
    ).toEqual([]);
    expect(s.fake.stats.tooManyRequests).toBe(0);
    s.fake.assertNoViolations();
  });

  it('puts Stop on a running answer beside a permission card; a viewer’s press is refused, the asker’s cancels', async () => {
    const group: FakeChat = { id: -300, type: 'group', title: 'Ops' };
    const s = await sessions({ env: { FLEETBOT_CHATS: 'telegram:-300' } });
    await s.say(annDm, ann, '/deploy swe alice');
    // A quick answer never shows Stop.
    s.fake.sendText({ chat: group, from: ann, text: '/ask alice list' });
    const quick = await message(s, group.id, /^\. holds:/);
    expect(labels(s, group.id, quick.messageId)).toEqual([]);
    expect(s.fake.calls.some((c) => JSON.stringify(c.params).includes('⏹ Stop'))).toBe(false);

    s.fake.sendText({ chat: group, from: ann, text: '/ask alice run sleep 30' });
    const card = await message(s, group.id, /^alice asks permission/);
    const answer = await message(s, group.id, /^⚙️ 1 step/);
    await s.fake.waitFor(() => labels(s, group.id, answer.messageId).includes('⏹ Stop'));
    expect(await press(s, group, ann, card.messageId, /^Allow once$/)).toBe('Allowed once');
    expect(await press(s, group, bob, answer.messageId, /Stop/)).toBe(
      'Only telegram:1001, who asked, or an operator can stop alice.',
    );
    const pressed = Date.now();
    expect(await press(s, group, ann, answer.messageId, /Stop/)).toBe('Stopping alice…');
    const stopped = await message(s, group.id, /⏹ Stopped by telegram:1001\.$/);
    // The agent was told (session/cancel) and ended the turn itself, well inside the 10 s fleetbot
    // would give it before stopping its process.
    expect(Date.now() - pressed).toBeLessThan(5_000);
    expect(stopped.messageId).toBe(answer.messageId);
    expect(labels(s, group.id, answer.messageId)).toEqual([]);
    expect(await press(s, group, ann, answer.messageId, /Stop/).catch((err: Error) => err.message)).toBe(
      'no button /Stop/',
    );
    const statuses = () =>
      s.bot.store.db
        .prepare<[], { status: string }>('SELECT status FROM turns ORDER BY id')
        .all()
        .map((t) => t.status);
    await s.fake.waitFor(() => statuses().at(-1) !== 'running');
    expect(statuses()).toEqual(['answered', 'cancelled']);
    const audit = s.bot.store.audit.recent(50).map((e) => `${e.action} ${e.outcome} ${e.detail ?? ''}`);
    expect(audit).toContain('stop refused Only telegram:1001, who asked, or an operator can stop alice.');
    expect(audit).toContain('stop approved ');
    expect(s.fake.stats.tooManyRequests).toBe(0);
    s.fake.assertNoViolations();
  });
});
