import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlack } from './fakes/slack/index.js';
import { countConnections } from './support/connectionCounter.js';
import { tempDir } from './support/env.js';
import { ann, annDm, ops, startSlackBot } from './support/slackSession.js';

type Session = Awaited<ReturnType<typeof startSlackBot>>;

describe('slack bridge under trouble', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const session = async (opts: Parameters<typeof startSlackBot>[1] = {}): Promise<Session> => {
    const tmp = tempDir();
    const s = await startSlackBot(tmp.dir, opts);
    cleanups.push(tmp.cleanup, () => s.stop());
    return s;
  };

  it('handles a redelivered event once, also after a restart', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const fake = await startFakeSlack();
    cleanups.push(() => fake.close());
    const first = await startSlackBot(tmp.dir, { fake });
    const original = await first.handled(fake.dm({ user: ann, channel: annDm, text: 'whoami' }));
    const again = await first.handled(fake.redeliver(original));
    expect(again.ackedAt).toBeDefined();
    expect(fake.messages(annDm)).toHaveLength(1);
    await first.stop(false);

    const second = await startSlackBot(tmp.dir, { fake });
    cleanups.push(() => second.stop(false));
    await second.handled(fake.redeliver(original));
    await second.handled(fake.dm({ user: ann, channel: annDm, text: 'roles' }));
    expect(fake.messages(annDm).map((m) => m.shown.split('\n')[0])).toEqual(['You: slack:UANN', 'Roles']);
    fake.assertNoViolations();
  });

  it('acknowledges every delivery within 3 s, also while deploys run', async () => {
    const s = await session({ env: { FLEETBOT_CHATS: `slack:${ops}` } });
    const sent = [
      s.fake.slashCommand({ user: ann, channel: annDm, text: 'deploy swe alice' }),
      s.fake.mention({ user: ann, channel: ops, text: 'deploy swe bob' }),
      s.fake.slashCommand({ user: ann, channel: annDm, text: 'list' }),
      s.fake.dm({ user: ann, channel: annDm, text: 'jobs' }),
    ];
    await s.fake.waitFor(() => sent.every((e) => e.ackedAt !== undefined));
    await s.settle();
    const card = s.fake.messages(annDm)[0]!;
    s.fake.press({ user: ann, channel: annDm, messageTs: card.ts, actionId: 'AAAAAAAAAAAA' });
    await s.settle();
    expect(s.fake.envelopes).toHaveLength(5);
    for (const e of s.fake.envelopes) expect(e.ackedAt! - e.sentAt).toBeLessThan(3000);
    // Acks carry no text: the answers come as messages the bot posts.
    expect(s.fake.envelopes.map((e) => e.ack)).toEqual(Array(5).fill({}));
    expect(s.fake.messages(ops)[0]!.shown).toMatch(/^✅ Done: Deploy bob/);
    for (const name of ['alice', 'bob'])
      s.bot.fleet.destroy({
        agent: s.bot.store.agents.live(name)!,
        requester: 'slack:UANN',
        chat: { platform: 'slack', chatId: annDm },
      });
    await s.settle();
    s.fake.assertNoViolations();
  });

  it('waits out 429s on chat.update and still lands the final state of the card', async () => {
    const s = await session();
    s.fake.failNext('chat.update', { status: 429, retryAfter: 1 }, 2);
    await s.fleet(ann, annDm, 'deploy swe alice');
    await s.fake.waitFor(() => /^✅ Done: Deploy alice/.test(s.fake.lastShown(annDm) ?? ''), 10_000);
    expect(s.fake.calls.filter((c) => c.method === 'chat.update' && c.status === 429)).toHaveLength(2);
    const card = s.fake.messages(annDm);
    expect(card).toHaveLength(1);
    expect(card[0]!.shown).toMatch(/URL: http:\/\/127\.0\.0\.1:\d+/);
    // Nothing was sent to the channel while Slack had asked to wait.
    const limited = s.fake.calls.find((c) => c.status === 429)!;
    const next = s.fake.calls.find(
      (c) => c.at > limited.at && c.method === 'chat.update' && c.status === 200,
    );
    expect(next!.at - limited.at).toBeGreaterThanOrEqual(900);
    s.bot.fleet.destroy({
      agent: s.bot.store.agents.live('alice')!,
      requester: 'slack:UANN',
      chat: { platform: 'slack', chatId: annDm },
    });
    await s.settle();
  }, 20_000);

  it('tells the person to invite the bot when it is not in the channel', async () => {
    const s = await session({ env: { FLEETBOT_CHATS: 'slack:CNEW' } });
    s.fake.botNotIn('CNEW');
    await s.fleet(ann, 'CNEW', 'list');
    expect(s.fake.messages('CNEW')).toEqual([]);
    expect(s.fake.responses.map((r) => r.body)).toEqual([
      {
        response_type: 'ephemeral',
        text: 'fleetbot is not in <#CNEW>, so it cannot post there. Invite @fleetbot to <#CNEW> (`/invite @fleetbot`), then run the command again.',
      },
    ]);
    expect(s.bot.store.chats.get('slack', 'CNEW')?.unreachable).toBe(true);
    expect(s.fake.calls.find((c) => c.error === 'not_in_channel')?.method).toBe('chat.postMessage');
  });

  it('answers through response_url only on Slack’s origins, never on an address a payload names', async () => {
    const s = await session({ env: { FLEETBOT_CHATS: 'slack:CNEW' } });
    const listener = await countConnections();
    cleanups.push(() => listener.close());
    s.fake.botNotIn('CNEW');
    await s.handled(
      s.fake.slashCommand({ user: ann, channel: 'CNEW', text: 'list', responseUrl: listener.url('/hook') }),
    );
    await s.fleet(ann, 'CNEW', 'list');
    expect(listener.count).toBe(0);
    // The response_url on the configured SLACK_API_URL's origin is still answered.
    expect(s.fake.responses).toHaveLength(1);
  });

  it('reconnects after a disconnect message and after a dropped socket, and serves on', async () => {
    const s = await session();
    s.fake.socket.disconnect('refresh_requested');
    await s.fake.waitFor(() => s.fake.socket.connections === 2 && s.fake.socket.open, 5000);
    await s.fleet(ann, annDm, 'whoami');
    s.fake.socket.drop();
    await s.fake.waitFor(() => s.fake.socket.connections === 3 && s.fake.socket.open, 5000);
    await s.fleet(ann, annDm, 'roles');
    expect(s.fake.messages(annDm).map((m) => m.shown.split('\n')[0])).toEqual([
      'You: slack:UANN (@ann)',
      'Roles',
    ]);
    expect(s.fatal).toEqual([]);
  });

  it('notices a socket that never says hello, reconnects, and gives up when nothing helps', async () => {
    const s = await session({
      socket: {
        clientPingTimeoutMs: 300,
        watchdog: { reconnectAfterMs: 700, fatalAfterMs: 4000, checkEveryMs: 100 },
      },
    });
    s.fake.socket.withholdHello(1);
    s.fake.socket.drop();
    await s.fake.waitFor(() => s.fake.socket.connections >= 3 && s.fake.socket.open, 8000);
    await s.fleet(ann, annDm, 'whoami');
    expect(s.fake.lastShown(annDm)).toMatch(/^You: slack:UANN/);
    expect(s.fatal).toEqual([]);

    s.fake.socket.withholdHello(1000);
    s.fake.socket.drop();
    await s.fake.waitFor(() => s.fatal.length > 0, 10_000);
    expect(s.fatal[0]!.message).toMatch(
      /^Slack Socket Mode has had no working connection for \d+ s\. Check the network and SLACK_APP_TOKEN/,
    );
  }, 30_000);
});
