import { describe, expect, it } from 'vitest';
import type { FakeChat, FakeUser } from './fakes/telegram/index.js';
import { useCleanups } from './support/cleanups.js';
import { tempDir } from './support/env.js';
import { manualClock } from './support/manualClock.js';
import {
  ann,
  annDm,
  bob,
  seedRunningAgent,
  startTelegramBot,
  telegramSessions,
  type TelegramSession as Session,
} from './support/telegramSession.js';

const carol: FakeUser = { id: 1003, firstName: 'Carol' };
const dave: FakeUser = { id: 1004, firstName: 'Dave' };
const dmOf = (u: FakeUser): FakeChat => ({ id: u.id, type: 'private' });

describe('access control through Telegram', () => {
  const session = telegramSessions();
  const defer = useCleanups();
  const buttons = (s: Session, chatId: number) => {
    const card = s.fake.messages(chatId).at(-1)!;
    const [approve, cancel] = card.replyMarkup!.inline_keyboard[0]!.map((b) =>
      'callback_data' in b ? b.callback_data : '',
    );
    return { card, approve: approve!, cancel: cancel! };
  };
  const press = async (
    s: Session,
    chat: FakeChat,
    from: FakeUser,
    messageId: number,
    data: string,
    forged = false,
  ) => {
    const p = s.fake.pressButton({ chat, from, messageId, data, forged });
    await s.fake.waitFor(() => s.fake.callbackAnswers.some((a) => a.callbackQueryId === p.callbackQueryId));
    await s.settle();
    return s.fake.callbackAnswers.find((a) => a.callbackQueryId === p.callbackQueryId)!;
  };
  const lastAudit = (s: Session, n = 1) =>
    s.bot.store.audit.recent(n).map((a) => `${a.platform}:${a.userId} ${a.action} ${a.outcome}`);

  it('grants and revokes from chat with immediate effect, and refuses with the level and whom to ask', async () => {
    const s = await session();
    await s.say(dmOf(bob), bob, '/list');
    expect(s.fake.lastText(bob.id)).toMatch(
      /^You are not on fleetbot’s allowlist\.\nyour id: telegram:1002, this chat: telegram:1002\. Ask an admin \(telegram:1001\) to send \/allow user telegram:1002 viewer\.$/,
    );

    await s.say(annDm, ann, '/allow user telegram:1002 viewer');
    expect(s.fake.lastText(annDm.id)).toBe('telegram:1002 is now viewer.');
    await s.say(dmOf(bob), bob, '/deploy swe alice');
    expect(s.fake.lastText(bob.id)).toBe(
      '/deploy needs the operator level; you are viewer.\nAsk an admin (telegram:1001) to send /allow user telegram:1002 operator.',
    );
    expect(lastAudit(s)).toEqual(['telegram:1002 deploy refused: needs operator']);

    await s.say(annDm, ann, '/allow user telegram:1002 operator');
    await s.say(dmOf(bob), bob, '/whoami');
    expect(s.fake.lastText(bob.id)).toMatch(/Level: operator$/);

    await s.say(annDm, ann, '/allow user @bob operator');
    expect(s.fake.lastText(annDm.id)).toMatch(
      /^Use the numeric id, not the username @bob: ask them to send \/whoami/,
    );
    await s.say(annDm, ann, '/revoke user telegram:1001');
    expect(s.fake.lastText(annDm.id)).toBe(
      'telegram:1001 is an admin from FLEETBOT_ADMINS; remove it there and restart.',
    );

    await s.say(annDm, ann, '/users');
    expect(s.fake.lastText(annDm.id)).toMatch(/telegram:1001 admin · from FLEETBOT_ADMINS/);
    expect(s.fake.lastText(annDm.id)).toMatch(/telegram:1002 operator · granted by telegram:1001/);

    await s.say(annDm, ann, '/revoke user telegram:1002');
    expect(s.fake.lastText(annDm.id)).toBe(
      'telegram:1002 no longer has access (was operator, revoked by telegram:1001).',
    );
    s.fake.sendText({ chat: dmOf(bob), from: bob, text: '/whoami' });
    await s.settle();
    // Bob was refused, and audited, once at the start; within the cool-down the bot stays quiet and
    // writes no second row, so a stranger cannot fill the audit.
    expect(lastAudit(s)).toEqual(['telegram:1001 revoke ok']);
    expect(
      s.bot.store.audit.recent(50).filter((a) => a.userId === '1002' && a.outcome === 'refused: not allowed'),
    ).toHaveLength(1);

    const group: FakeChat = { id: -555, type: 'group', title: 'Team' };
    await s.say(annDm, ann, '/allow chat telegram:-555');
    await s.say(group, carol, '/list');
    expect(s.fake.lastText(group.id)).toMatch(/^No agents yet/);
    await s.say(annDm, ann, '/audit 3');
    expect(s.fake.lastText(annDm.id)).toMatch(/^Last 3 audit entries\n.*telegram:1003 list → ok/s);
    s.fake.assertNoViolations();
  });

  it('enforces the two-person rule for destroys', async () => {
    const s = await session({ env: { FLEETBOT_DESTROY_APPROVAL: 'two-person' } });
    s.bot.store.principals.upsert({
      platform: 'telegram',
      userId: '1003',
      level: 'admin',
      source: 'chat',
      grantedBy: 'telegram:1001',
    });
    seedRunningAgent(s.bot, 'alice');
    const group: FakeChat = { id: -777, type: 'group', title: 'Ops' };
    s.bot.store.chats.allow('telegram', '-777', 'chat');
    await s.say(group, ann, '/destroy alice');
    const { card, approve } = buttons(s, group.id);
    expect(card.plainText).toMatch(
      /^Destroy alice\?\nswe on local · owner telegram:1001 · created \d+ s ago\nLast health: stopped \(no process recorded\)\nThis will: stop agent process; remove agent folder and logs\.\nNeeds an admin other than telegram:1001 to approve, by \d\d:\d\d UTC\.$/,
    );

    expect((await press(s, group, ann, card.messageId, approve)).text).toBe(
      'Two-person rule: another admin must approve what you asked for.',
    );
    // Bob is a member of the allowed group, so a viewer: he may not touch it at all.
    expect((await press(s, group, bob, card.messageId, approve)).text).toBe(
      'This needs the operator level; you are viewer.',
    );
    expect(s.bot.store.jobs.recent(5)).toEqual([]);
    expect((await press(s, group, carol, card.messageId, approve)).text).toBe('Destroying alice…');
    expect(s.fake.messages(group.id).find((m) => m.messageId === card.messageId)!.plainText).toMatch(
      /^Destroy of alice approved by telegram:1003 at \d\d:\d\d UTC \(asked by telegram:1001\)\. Progress: job #1/,
    );
    expect((await press(s, group, carol, card.messageId, approve)).text).toMatch(
      /^Already resolved \(approve by telegram:1003\)/,
    );
    expect(s.bot.store.audit.recent(30).map((a) => `${a.userId} ${a.action} ${a.outcome}`)).toEqual(
      expect.arrayContaining([
        '1001 destroy requested',
        '1001 destroy refused',
        '1002 destroy refused',
        '1003 destroy approved',
        '1003 destroy rejected: already decided',
      ]),
    );
    s.fake.assertNoViolations();
  });

  it('rejects forged, cross-agent and expired button ids; an expired card says so by itself', async () => {
    const clock = manualClock(Date.now());
    const s = await session({ clock, env: { FLEETBOT_APPROVAL_TTL: '2m' } });
    seedRunningAgent(s.bot, 'alice');
    seedRunningAgent(s.bot, 'bobby');
    await s.say(annDm, ann, '/destroy alice');
    const alice = buttons(s, annDm.id);
    await s.say(annDm, ann, '/destroy bobby');
    const bobby = buttons(s, annDm.id);

    // Alice's approve id pressed on bobby's card: valid id, wrong card.
    expect((await press(s, annDm, ann, bobby.card.messageId, alice.approve, true)).text).toMatch(
      /not valid any more/,
    );
    expect((await press(s, annDm, ann, alice.card.messageId, 'AAAAAAAAAAAA', true)).text).toMatch(
      /not valid any more/,
    );
    expect((await press(s, annDm, ann, alice.card.messageId, '{"destroy":"alice"}', true)).text).toMatch(
      /not valid any more/,
    );
    expect(s.bot.store.jobs.recent(5)).toEqual([]);

    await clock.advance(2 * 60_000 + 30_000);
    await s.settle();
    expect(s.fake.messages(annDm.id).find((m) => m.messageId === alice.card.messageId)!.plainText).toBe(
      'This destroy request for alice expired unused. Nothing was changed.',
    );
    expect((await press(s, annDm, ann, alice.card.messageId, alice.approve)).text).toMatch(
      /^Already resolved \(expired by fleetbot\)/,
    );
    expect(s.bot.store.agents.live('alice')?.status).toBe('running');
    expect(
      s.bot.store.audit.recent(30).filter((a) => a.action === 'destroy' && a.outcome === 'expired'),
    ).toHaveLength(2);
  });

  it('takes access away from a chat removed from FLEETBOT_CHATS at the next start, subscriptions included', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const group: FakeChat = { id: -777, type: 'group', title: 'Former team' };
    const first = await startTelegramBot(tmp.dir, { env: { FLEETBOT_CHATS: 'telegram:-777' } });
    defer(() => first.fake.close());
    await first.say(group, ann, '/alerts on all');
    expect(first.fake.lastText(group.id)).toMatch(/^This chat now gets alerts about all agents/);
    await first.stop(false);

    const second = await startTelegramBot(tmp.dir, { fake: first.fake, env: { FLEETBOT_CHATS: '' } });
    await second.say(group, carol, '/list');
    expect(second.fake.lastText(group.id)).toMatch(/^This chat is not allowed to use fleetbot\./);
    expect(second.bot.store.subscriptions.forChat({ platform: 'telegram', chatId: '-777' })).toEqual([]);
    // A chat allowed from the chat (/allow chat) is not the config's to take away.
    await second.say(annDm, ann, '/allow chat telegram:-777');
    await second.stop(false);
    const third = await startTelegramBot(tmp.dir, { fake: first.fake, env: { FLEETBOT_CHATS: '' } });
    defer(() => third.stop(false));
    await third.say(group, carol, '/list');
    expect(third.fake.lastText(group.id)).toMatch(/^No agents yet/);
  });

  it('pairs the first admin with the logged code, refuses wrong and expired codes, and locks after five', async () => {
    const clock = manualClock(Date.now());
    const s = await session({ clock, env: { FLEETBOT_ADMINS: '' } });
    const code = s.bot.pairing.issue().code;
    expect(code).toMatch(/^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}$/);
    expect(JSON.stringify(s.bot.store.db.prepare('SELECT * FROM pairing_codes').all())).not.toContain(code);

    const group: FakeChat = { id: -888, type: 'group', title: 'Anyone' };
    const before = s.fake.calls.length;
    s.fake.sendText({ chat: group, from: bob, text: `/pair ${code}` });
    await s.say(dmOf(carol), carol, '/whoami');
    expect(
      s.fake.calls.slice(before).filter((c) => c.method === 'sendMessage' && c.params.chat_id === -888),
    ).toEqual([]);
    expect(
      s.bot.store.audit
        .recent(5)
        .some((a) => a.userId === '1002' && a.outcome === 'ignored: not a private chat'),
    ).toBe(true);

    await s.say(dmOf(bob), bob, '/pair WRONGCDE');
    expect(s.fake.lastText(bob.id)).toMatch(
      /^That code is not valid \(wrong, used or expired\)\. Run "fleetbot pair" on the bot’s host/,
    );
    await s.say(dmOf(bob), bob, `/pair ${code.toLowerCase().slice(0, 4)}-${code.toLowerCase().slice(4)}`);
    expect(s.fake.lastText(bob.id)).toBe(
      'You are now admin (telegram:1002). /help shows what you can do; /allow grants access to others.',
    );
    expect(s.bot.store.principals.get('telegram', '1002')).toMatchObject({
      level: 'admin',
      source: 'pairing',
    });
    await s.say(dmOf(carol), carol, `/pair ${code}`);
    expect(s.fake.lastText(carol.id)).toMatch(/^That code is not valid/);
    // No secret in the audit log: only that /pair was used.
    expect(s.bot.store.audit.recent(50).some((a) => (a.detail ?? '').includes(code))).toBe(false);

    const fresh = s.bot.pairing.issue().code;
    await clock.advance(61 * 60_000);
    await s.say(dmOf(carol), carol, `/pair ${fresh}`);
    expect(s.fake.lastText(carol.id)).toMatch(/^That code is not valid/);

    const another = s.bot.pairing.issue().code;
    // The expired code above was the first wrong try of this hour; four more make five.
    for (let i = 0; i < 4; i++) await s.say(dmOf(carol), carol, `/pair BADBAD${i}${i}`);
    await s.say(dmOf(carol), carol, `/pair ${another}`);
    expect(s.fake.lastText(carol.id)).toMatch(
      /^Pairing is locked for you after too many wrong codes, until \d\d:\d\d UTC/,
    );
    expect(s.bot.store.principals.get('telegram', '1003')).toBeUndefined();
    // Carol's wrong codes lock Carol, not whoever holds the host's code.
    await s.say(dmOf(dave), dave, `/pair ${another}`);
    expect(s.fake.lastText(dave.id)).toMatch(/^You are now admin \(telegram:1004\)/);
    await clock.advance(61 * 60_000);
    await s.say(dmOf(carol), carol, `/pair ${s.bot.pairing.issue().code}`);
    expect(s.fake.lastText(carol.id)).toMatch(/^You are now admin/);
  });

  it('limits each person to the configured commands per minute without slowing anyone else', async () => {
    const s = await session({
      env: { FLEETBOT_RATE_LIMIT: '3', FLEETBOT_ADMINS: 'telegram:1001,telegram:1002' },
    });
    for (let i = 0; i < 6; i++) s.fake.sendText({ chat: annDm, from: ann, text: '/whoami' });
    await s.say(dmOf(bob), bob, '/whoami');
    await s.settle();
    const annReplies = s.fake.messages(annDm.id).map((m) => m.plainText);
    expect(annReplies.filter((t) => t.startsWith('You: '))).toHaveLength(3);
    expect(
      annReplies.filter((t) =>
        /^Easy: that is more than 3 commands a minute\. Try again in \d+ s\.$/.test(t),
      ),
    ).toHaveLength(1);
    expect(s.fake.lastText(bob.id)).toMatch(/^You: telegram:1002/);
  });
});
