import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeMessage } from './fakes/slack/index.js';
import { agentWithLog, runningAgent } from './support/agents.js';
import { tempDir } from './support/env.js';
import { ann, annDm, bob, ops, startSlackBot } from './support/slackSession.js';

type Session = Awaited<ReturnType<typeof startSlackBot>>;

const button = (m: FakeMessage, label: RegExp) => {
  const found = m.buttons.find((b) => label.test(b.text.text));
  if (!found) throw new Error(`no button ${String(label)} on ${m.ts}`);
  return found;
};

describe('slack bridge', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  const session = async (opts: Parameters<typeof startSlackBot>[1] = {}): Promise<Session> => {
    const tmp = tempDir();
    const s = await startSlackBot(tmp.dir, opts);
    cleanups.push(tmp.cleanup, () => s.stop());
    return s;
  };
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('deploys from /fleet on one edited message, then destroys via the card’s confirmed danger button', async () => {
    const s = await session();
    await s.fleet(ann, annDm, 'deploy swe alice');
    const cards = s.fake.messages(annDm);
    expect(cards).toHaveLength(1);
    const card = cards[0]!;
    expect(card.history.length).toBeGreaterThan(1);
    expect(card.shown).toMatch(/^✅ Done: Deploy alice \(swe, local\) · job #1/);
    expect(card.shown).toMatch(/✅ Wait for health · \d+\.\d s/);
    const url = /URL: (http:\/\/127\.0\.0\.1:\d+)/.exec(card.shown)![1]!;
    const final = card.history.at(-1)!;
    expect(JSON.stringify(final.blocks)).toContain(`<${url}|${url}>`);
    // Hints name the one slash command fleetbot has in Slack.
    expect(card.shown).toContain('Next: /fleet status alice · /fleet logs alice');
    expect(final.text).toMatch(/^✅ Done: Deploy alice/);
    expect((await request(`${url}/health`)).statusCode).toBe(200);

    await s.fleet(ann, annDm, 'destroy alice');
    const confirm = s.fake.messages(annDm).at(-1)!;
    expect(confirm.shown).toMatch(/^Destroy alice\?/);
    const destroy = button(confirm, /^Approve destroy$/);
    expect(destroy.style).toBe('danger');
    expect(destroy.confirm).toMatchObject({ style: 'danger', confirm: { text: 'Approve destroy' } });
    expect(destroy.action_id).toBe(destroy.value);
    expect(destroy.action_id).not.toMatch(/alice|destroy|confirm/i);

    await s.handled(
      s.fake.press({ user: ann, channel: annDm, messageTs: confirm.ts, actionId: destroy.action_id }),
    );
    expect(s.fake.messages(annDm).find((m) => m.ts === confirm.ts)!.shown).toMatch(
      /^Destroy of alice approved by slack:UANN at/,
    );
    expect(s.fake.messages(annDm).find((m) => m.ts === confirm.ts)!.buttons).toEqual([]);
    expect(s.fake.ephemerals(annDm).map((e) => e.shown)).toEqual(['Destroying alice…']);
    expect(s.fake.lastShown(annDm)).toMatch(/^✅ Done: Destroy alice · job #2/);
    await expect(request(`${url}/health`)).rejects.toThrow();

    // A second press on the resolved card says so, to the presser alone, and changes nothing.
    await s.handled(
      s.fake.press({ user: ann, channel: annDm, messageTs: confirm.ts, actionId: destroy.action_id }),
    );
    expect(s.fake.ephemerals(annDm).at(-1)!.shown).toMatch(/^Already resolved \(approve by slack:UANN\)/);
    expect(s.bot.store.jobs.recent(10)).toHaveLength(2);
    s.fake.assertNoViolations();
  });

  it('takes commands from a mention in a channel and from plain messages in the bot’s DM', async () => {
    const s = await session({ env: { FLEETBOT_CHATS: `slack:${ops}` } });
    await s.handled(s.fake.mention({ user: ann, channel: ops, text: 'deploy swe bob' }));
    const cards = s.fake.messages(ops);
    expect(cards).toHaveLength(1);
    expect(cards[0]!.shown).toMatch(/^✅ Done: Deploy bob \(swe, local\)/);

    await s.handled(
      s.fake.mention({ user: ann, channel: ops, text: 'whoami', threadTs: '1767225000.000100' }),
    );
    const inThread = s.fake.messages(ops).at(-1)!;
    expect(inThread.threadTs).toBe('1767225000.000100');
    expect(inThread.shown).toMatch(/^You: slack:UANN\nThis chat: slack:COPS/);

    await s.handled(s.fake.dm({ user: ann, channel: annDm, text: 'status bob' }));
    expect(s.fake.lastShown(annDm)).toMatch(/bob/);
    await s.handled(s.fake.dm({ user: ann, channel: annDm, text: '/list' }));
    expect(s.fake.lastShown(annDm)).toMatch(/bob/);
    expect(s.fake.messages(annDm)).toHaveLength(2);

    s.bot.fleet.destroy({
      agent: s.bot.store.agents.live('bob')!,
      requester: 'slack:UANN',
      chat: { platform: 'slack', chatId: ops },
    });
    await s.settle();
    s.fake.assertNoViolations();
  });

  it('refuses presses by people who may not act, and forged ids, privately and with no change', async () => {
    const s = await session({ env: { FLEETBOT_CHATS: `slack:${ops}` } });
    runningAgent(s.bot.store, 'alice', 'slack:UANN');
    await s.fleet(ann, ops, 'destroy alice');
    const card = s.fake.messages(ops).at(-1)!;
    const destroy = button(card, /^Approve destroy$/).action_id;

    const pressAs = async (user: typeof ann, actionId: string): Promise<string | undefined> => {
      const before = s.fake.ephemerals().length;
      await s.handled(s.fake.press({ user, channel: ops, messageTs: card.ts, actionId }));
      const answers = s.fake.ephemerals().slice(before);
      expect(answers.every((e) => e.user === user.id)).toBe(true);
      return answers.at(-1)?.shown;
    };
    // Bob is a member of an allowed channel: he may look, not destroy.
    expect(await pressAs(bob, destroy)).toBe('This needs the operator level; you are viewer.');
    expect(await pressAs(ann, 'AAAAAAAAAAAA')).toMatch(/not valid any more/);
    expect(s.bot.store.agents.live('alice')?.status).toBe('running');
    expect(s.fake.messages(ops).find((m) => m.ts === card.ts)!.history).toHaveLength(1);
    expect(s.bot.store.jobs.recent(5)).toEqual([]);
    expect(await pressAs(ann, button(card, /^Cancel$/).action_id)).toBe('Cancelled; nothing was changed.');
    expect(s.fake.messages(ops).find((m) => m.ts === card.ts)!.shown).toMatch(
      /^Destroy of alice cancelled by slack:UANN/,
    );
    s.fake.assertNoViolations();
  });

  it('tells only the sender about refusals and mistakes, and the channel about results', async () => {
    const s = await session({ env: { FLEETBOT_CHATS: `slack:${ops}` } });
    const eve = { id: 'UEVE', name: 'eve' };
    await s.fleet(eve, 'CELSEWHERE', 'deploy swe evil');
    await s.fleet(ann, ops, 'frobnicate');
    await s.fleet(bob, ops, 'deploy swe x');
    await s.fleet(bob, ops, 'list');
    expect(s.fake.ephemerals().map((e) => [e.channel, e.user, e.shown.split('\n')[0]])).toEqual([
      ['CELSEWHERE', 'UEVE', 'This chat is not allowed to use fleetbot.'],
      [ops, 'UANN', 'I don’t know /frobnicate. Send /fleet help for the list of commands.'],
      [ops, 'UBOB', '/fleet deploy needs the operator level; you are viewer.'],
    ]);
    expect(s.fake.ephemerals()[0]!.shown).toContain('your id: slack:UEVE, this chat: slack:CELSEWHERE');
    expect(s.fake.messages(ops).map((m) => m.shown)).toEqual([expect.stringMatching(/^No agents yet\./)]);
    expect(s.fake.messages('CELSEWHERE')).toEqual([]);
    expect(s.bot.store.jobs.recent(5)).toEqual([]);
    s.fake.assertNoViolations();
  });

  it('escapes what it shows, and splits long output into sections and messages within Slack’s limits', async () => {
    const s = await session();
    const line = (i: number): string =>
      `${String(i).padStart(4, '0')} <!channel> & <@U0BOT> ${'x'.repeat(60)}`;
    agentWithLog(
      s.bot.store,
      'loud',
      'slack:UANN',
      Array.from({ length: 500 }, (_, i) => line(i)),
    );

    await s.fleet(ann, annDm, 'logs loud -n 500');
    const parts = s.fake.messages(annDm);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      const { blocks, text } = p.history[0]!;
      expect(text.length).toBeGreaterThan(0);
      for (const b of blocks) if (b.type === 'section') expect(b.text.text.length).toBeLessThanOrEqual(3000);
      expect(JSON.stringify(blocks)).not.toMatch(/<!channel>|<@U0BOT>/);
    }
    const shown = parts.map((p) => p.shown).join('\n');
    for (const i of [0, 250, 499]) expect(shown).toContain(line(i));
    expect(JSON.stringify(parts[0]!.history[0]!.blocks)).toContain('&lt;!channel&gt; &amp; &lt;@U0BOT&gt;');
    s.fake.assertNoViolations();
  });
});
