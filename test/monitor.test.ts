import { describe, expect, it } from 'vitest';
import type { FakeChat, FakeUser } from './fakes/telegram/index.js';
import { useCleanups } from './support/cleanups.js';
import { startFakeAgent } from './support/fakeAgent.js';
import { seedLocalAgent } from './support/localAgents.js';
import { manualClock } from './support/manualClock.js';
import { ann, annDm, telegramSessions, type TelegramSession } from './support/telegramSession.js';

const team: FakeChat = { id: -100, type: 'group', title: 'Team' };
const aliceWatchers: FakeChat = { id: -200, type: 'group', title: 'Alice watchers' };
const viewer: FakeUser = { id: 4004, firstName: 'Vic' };

describe('health monitor and team alerts', () => {
  const session = telegramSessions();
  const defer = useCleanups();

  async function setup() {
    const clock = manualClock(Date.parse('2026-11-24T14:00:00Z'));
    const s = await session({
      clock,
      env: {
        FLEETBOT_HEALTH_INTERVAL: '1h',
        FLEETBOT_HEALTH_TIMEOUT: '300ms',
        FLEETBOT_CHATS: 'telegram:-100,telegram:-200',
      },
    });
    const alice = await startFakeAgent('alice');
    const bobby = await startFakeAgent('bobby');
    defer(() => alice.close());
    defer(() => bobby.close());
    seedLocalAgent(s.bot.store, 'alice', alice.url, defer);
    seedLocalAgent(s.bot.store, 'bobby', bobby.url, defer);
    await s.say(team, ann, '/alerts on all');
    await s.say(aliceWatchers, ann, '/alerts on agent alice');
    /** One monitor cycle, then time moves on by `ms` so coalesced card edits go out. */
    const cycle = async (ms = 30_000): Promise<void> => {
      await s.bot.monitor.cycle();
      await clock.advance(ms);
      await s.settle();
    };
    const alerts = (chat: FakeChat) =>
      s.fake.messages(chat.id).filter((m) => /is down|is flapping|recovered/.test(m.history[0]!.text));
    return { s, clock, alice, bobby, cycle, alerts };
  }

  const press = async (
    s: TelegramSession,
    chat: FakeChat,
    from: FakeUser,
    messageId: number,
    label: string,
  ) => {
    const markup = s.fake.messages(chat.id).find((m) => m.messageId === messageId)!.history[0]!.replyMarkup!;
    const button = markup.inline_keyboard.flat().find((b) => b.text === label)!;
    const p = s.fake.pressButton({
      chat,
      from,
      messageId,
      data: 'callback_data' in button ? button.callback_data : '',
    });
    await s.fake.waitFor(() => s.fake.callbackAnswers.some((a) => a.callbackQueryId === p.callbackQueryId));
    await s.settle();
    return s.fake.callbackAnswers.find((a) => a.callbackQueryId === p.callbackQueryId)!.text;
  };

  it('alerts once per subscribed chat after exactly N failures, edits the card, and reports the outage’s length', async () => {
    const { s, alice, cycle, alerts } = await setup();
    await cycle();
    await alice.set('failing');
    await cycle();
    await cycle();
    expect(alerts(team)).toEqual([]);
    expect(s.bot.store.health.get(s.bot.store.agents.live('alice')!.id)?.state).toBe('suspect');
    await cycle(0);
    expect(alerts(team)).toHaveLength(1);
    expect(alerts(aliceWatchers)).toHaveLength(1);
    expect(alerts(annDm)).toHaveLength(0);
    expect(s.fake.lastText(team.id)).toMatch(
      /^🔴 alice is down since 14:01 UTC \(0 s\)\nswe on local · http:\/\/127\.0\.0\.1:\d+\nLast error: health answered HTTP 500\nNot acknowledged$/,
    );
    const card = alerts(team)[0]!;
    expect(card.replyMarkup!.inline_keyboard[0]!.map((b) => b.text)).toEqual([
      'Restart',
      'Logs',
      'Ack',
      'Mute 1 h',
    ]);

    await alice.set('gone');
    await cycle();
    expect(alerts(team)).toHaveLength(1);
    expect(alerts(team)[0]!.plainText).toMatch(/Last error: cannot reach .*connection refused/);
    expect(alerts(team)[0]!.history.length).toBeGreaterThan(1);

    expect(await press(s, team, ann, card.messageId, 'Ack')).toBe('Acknowledged for 4 h.');
    expect(alerts(team)[0]!.plainText).toMatch(/Acknowledged by telegram:1001 until 18:02 UTC/);
    expect(await press(s, team, viewer, card.messageId, 'Ack')).toBe(
      'This needs the operator level; you are viewer.',
    );
    expect(await press(s, team, viewer, card.messageId, 'Logs')).toBe('Sent the last log lines.');
    const logs = s.fake.messages(team.id).at(-1)!;
    expect(logs.plainText).toBe(
      'Last 3 log lines of alice\nstarted\n<b>not bold</b> & "quoted"\nGET /health 200',
    );
    expect(logs.text).toContain('<code>&lt;b&gt;not bold&lt;/b&gt; &amp; "quoted"</code>');

    await alice.set('healthy');
    await cycle(402_000); // recovering at 14:02:00; the second good check lands at 14:08:42
    expect(s.fake.lastText(aliceWatchers.id)).toMatch(/^🔴 alice is down/);
    await cycle();
    expect(alerts(team)).toHaveLength(1);
    expect(alerts(team)[0]!.plainText).toBe(
      '✅ alice recovered after 7 m 12 s\nDown 14:01 UTC–14:08 UTC.\nLast error was: cannot reach ' +
        alerts(team)[0]!.plainText.split('cannot reach ')[1],
    );
    expect(alerts(team)[0]!.replyMarkup?.inline_keyboard ?? []).toEqual([]);
    expect(alerts(aliceWatchers)[0]!.plainText).toMatch(/^✅ alice recovered after 7 m 12 s/);
    expect(await press(s, team, ann, card.messageId, 'Restart')).toMatch(
      /^Already resolved \(resolved by fleetbot\)/,
    );
    s.fake.assertNoViolations();
  });

  it('damps a flapping agent to one card, honours mute, and stops alerting a chat that unsubscribed', async () => {
    const { s, alice, cycle, alerts, clock } = await setup();
    const outage = async (): Promise<void> => {
      await alice.set('failing');
      for (let i = 0; i < 3; i++) await cycle(10_000);
      await alice.set('healthy');
      for (let i = 0; i < 2; i++) await cycle(10_000);
    };
    for (let i = 0; i < 3; i++) await outage();
    expect(alerts(team)).toHaveLength(3);
    expect(alerts(team).every((m) => m.plainText.startsWith('✅ alice recovered'))).toBe(true);
    await outage();
    await outage();
    await outage();
    // The fourth outage in half an hour made it flapping: one card stands for all that followed.
    expect(alerts(team)).toHaveLength(4);
    expect(alerts(team).at(-1)!.plainText).toMatch(/^🟠 alice is flapping: down \d times in 30 m 0 s/);
    await clock.advance(31 * 60_000);
    await cycle();
    expect(alerts(team).at(-1)!.plainText).toMatch(/^✅ alice recovered after .*\nDown .*, flapping\./);

    await s.say(aliceWatchers, ann, '/alerts off');
    expect(s.fake.lastText(aliceWatchers.id)).toBe('Stopped: all alerts in this chat.');
    const watcherCards = alerts(aliceWatchers).length;
    await clock.advance(31 * 60_000);
    await alice.set('slow');
    for (let i = 0; i < 3; i++) await cycle(10_000);
    const card = alerts(team).at(-1)!;
    expect(card.plainText).toMatch(/^🔴 alice is down.*\nLast error: no answer within 300 ms/s);
    expect(alerts(aliceWatchers)).toHaveLength(watcherCards);

    expect(await press(s, team, ann, card.messageId, 'Mute 1 h')).toMatch(
      /^No new alerts about alice until \d\d:\d\d UTC\.$/,
    );
    expect(alerts(team).at(-1)!.plainText).toMatch(/Muted until \d\d:\d\d UTC: no new alerts/);
    await alice.set('healthy');
    for (let i = 0; i < 2; i++) await cycle(10_000);
    await alice.set('failing');
    for (let i = 0; i < 3; i++) await cycle(10_000);
    expect(alerts(team).at(-1)!.messageId).toBe(card.messageId); // muted: the new outage made no card
    expect(s.bot.store.incidents.openFor(s.bot.store.agents.live('alice')!.id)).toBeDefined();

    // An hour later the mute has expired: the next outage is announced again.
    await alice.set('healthy');
    for (let i = 0; i < 2; i++) await cycle(10_000);
    await clock.advance(61 * 60_000);
    await alice.set('failing');
    for (let i = 0; i < 3; i++) await cycle(10_000);
    expect(alerts(team).at(-1)!.messageId).not.toBe(card.messageId);
    expect(alerts(team).at(-1)!.plainText).toMatch(/^🔴 alice is down/);
    s.fake.assertNoViolations();
  }, 60_000);

  it('stops telling a chat anything the moment it loses access, before its subscriptions are dropped', async () => {
    const { s, alice, cycle, alerts } = await setup();
    await alice.set('failing');
    for (let i = 0; i < 3; i++) await cycle();
    const card = alerts(aliceWatchers)[0]!;
    expect(card.plainText).toMatch(/^🔴 alice is down/);
    const edits = card.history.length;
    const messages = s.fake.messages(aliceWatchers.id).length;
    // The allowlist entry goes; the subscription row is still there.
    s.bot.store.chats.disallow('telegram', String(aliceWatchers.id));
    await alice.set('gone');
    await cycle();
    expect(alerts(team)[0]!.plainText).toMatch(/Last error: cannot reach/);
    expect(alerts(aliceWatchers)[0]!.history).toHaveLength(edits);
    const failed = s.bot.store.jobs.create({
      kind: 'restart',
      subject: 'alice',
      agentId: s.bot.store.agents.live('alice')!.id,
      requester: 'telegram:1001',
      chat: { platform: 'telegram', chatId: String(annDm.id) },
    });
    await s.bot.alerts.jobFinished(failed, { status: 'failed', error: 'boom', outputs: {} });
    await s.settle();
    expect(s.fake.lastText(team.id)).toMatch(/^❌ restart of alice failed/);
    expect(s.fake.messages(aliceWatchers.id)).toHaveLength(messages);
    s.fake.assertNoViolations();
  });

  it('restarts a dead agent from the alert’s button; the restart card appears and the alert resolves', async () => {
    const s = await session({
      env: { FLEETBOT_CHATS: 'telegram:-100', FLEETBOT_HEALTH_INTERVAL: '1h', FLEETBOT_UP_AFTER: '1' },
    });
    await s.say(team, ann, '/alerts on all');
    await s.say(team, ann, '/deploy swe alice');
    const pid = s.bot.store.agents.live('alice')!.resources.pid as number;
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 3; i++) await s.bot.monitor.cycle();
    await s.settle();
    const card = s.fake.messages(team.id).at(-1)!;
    expect(card.plainText).toMatch(/^🔴 alice is down.*\nLast error: the agent process is not running/s);

    expect(await press(s, team, ann, card.messageId, 'Restart')).toBe(
      'Restarting alice; its progress card follows.',
    );
    await s.settle();
    expect(s.fake.lastText(team.id)).toMatch(/^✅ Done: Restart alice · job #2/);
    await s.bot.monitor.cycle();
    await s.settle();
    expect(s.fake.messages(team.id).find((m) => m.messageId === card.messageId)!.plainText).toMatch(
      /^✅ alice recovered after \d+ s/,
    );
    s.bot.fleet.destroy({
      agent: s.bot.store.agents.live('alice')!,
      requester: 'telegram:1001',
      chat: { platform: 'telegram', chatId: '-100' },
    });
    await s.settle();
  }, 30_000);
});
