import { afterEach, describe, expect, it } from 'vitest';
import type { Found, Provider } from '../../src/core/fleet/provider.js';
import type { ChatRef, Inbound } from '../../src/core/chat/types.js';
import { createFleetbot, type Fleetbot } from '../../src/main.js';
import { countConnections } from '../support/connectionCounter.js';
import { startFakeAgent } from '../support/fakeAgent.js';
import { maxSlackInFlight } from '../../src/bridges/slack/httpReceiver.js';
import { createResponseUrls, responseUrlsKept } from '../../src/bridges/slack/responseUrls.js';
import { strangersKept } from '../../src/core/router/stages.js';
import { manualClock } from '../support/manualClock.js';
import { memoryBridge } from '../support/memoryBridge.js';
import { silentLog, tempDir, testConfig } from '../support/env.js';
import { answerBeforeBody, sendHead } from '../support/httpProbe.js';
import { bobDm, revokedMidJob, team as telegramTeam } from '../support/revokedMidJob.js';
import { ann, forgedSignature, startSlackBot } from '../support/slackSession.js';
import { attempted } from './tally.js';

// Chat members and strangers attacking fleetbot through its chats.
describe('chat-side attacks', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  const defer = (c: () => Promise<void> | void): void => void cleanups.push(c);
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const team: ChatRef = { platform: 'telegram', chatId: '-100' };
  const leaky: ChatRef = { platform: 'telegram', chatId: '-200' };
  const eve = { platform: 'telegram' as const, userId: '2' };
  const eveDm: ChatRef = { platform: 'telegram', chatId: '2' };
  const command = (chat: ChatRef, text: string, userId = '1'): Inbound => ({
    kind: 'command',
    chat,
    user: { platform: 'telegram', userId },
    direct: chat.chatId === userId,
    text,
    at: new Date(),
  });

  /**
   * A bot whose cloud provider reports an orphan when asked, with an agent whose health a test breaks.
   * Every chat but the team's follows all alerts, then loses its access one way or another.
   */
  async function leakScenario(revoke: 'revoke chat' | 'config' | 'revoke person') {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const health = await startFakeAgent('alice');
    defer(() => health.close());
    const orphans: Found[] = [];
    const cloud: Provider = {
      name: 'cloud',
      deployPlan: () => [],
      restartPlan: () => [],
      destroyPlan: () => [],
      status: async () => ({ state: 'healthy', detail: 'ok' }),
      logs: async () => [],
      findRunning: async (agents) => agents.map((agent) => ({ agent, running: true, detail: 'ok' })),
      inventory: async () => ({ found: orphans, lost: [] }),
    };
    const env = {
      FLEETBOT_ADMINS: 'telegram:1',
      FLEETBOT_CHATS: 'telegram:-100,telegram:-200',
      FLEETBOT_ORPHAN_AGE: '0',
      FLEETBOT_HEALTH_INTERVAL: '1h',
    };
    const start = async (chats = env.FLEETBOT_CHATS) => {
      const mem = memoryBridge('telegram');
      const bot = await createFleetbot(testConfig(tmp.dir, { ...env, FLEETBOT_CHATS: chats }), {
        bridges: [mem.bridge],
        log: silentLog,
        providers: [cloud],
      });
      return { bot, mem };
    };
    const stop = async (bot: Fleetbot) => {
      await bot.idle();
      await bot.stop();
    };
    let { bot, mem } = await start();
    const agent = bot.store.agents.create({
      name: 'alice',
      role: 'swe',
      provider: 'cloud',
      owner: 'telegram:1',
    });
    bot.store.agents.update(agent.id, { status: 'running', url: health.url });
    await mem.inject(command(team, '/alerts on all'));
    const victim = revoke === 'revoke person' ? eveDm : leaky;
    if (revoke === 'revoke person') {
      await mem.inject(command(team, '/allow user telegram:2 admin'));
      await mem.inject(command(eveDm, '/alerts on all', eve.userId));
    } else {
      await mem.inject(command(leaky, '/alerts on all'));
    }
    if (revoke === 'config') {
      await stop(bot);
      ({ bot, mem } = await start('telegram:-100'));
    } else {
      await mem.inject(
        command(team, revoke === 'revoke chat' ? '/revoke chat telegram:-200' : '/revoke user telegram:2'),
      );
    }
    defer(() => stop(bot));
    const receivedBy = (chat: ChatRef) => mem.sent.filter((m) => m.ref.chat.chatId === chat.chatId).length;
    const already = receivedBy(victim);
    return {
      bot,
      victim,
      /** Messages (or edits) the revoked chat got since it lost access. */
      leaked: () =>
        mem.sent
          .filter((m) => m.ref.chat.chatId === victim.chatId)
          .reduce((n, m) => n + m.versions.length, 0) - already,
      teamGot: () => receivedBy(team),
      async agentGoesDown(): Promise<void> {
        await health.set('failing');
        for (let i = 0; i < 3; i++) await bot.monitor.cycle();
        await bot.alerts.flush();
      },
      async jobFails(): Promise<void> {
        const job = bot.store.jobs.create({
          kind: 'restart',
          subject: 'alice',
          agentId: agent.id,
          requester: 'telegram:1',
          chat: team,
        });
        await bot.alerts.jobFinished(job, {
          status: 'failed',
          error: 'agent output: SECRET=hunter2',
          outputs: {},
        });
      },
      async orphanFound(): Promise<void> {
        orphans.push({ id: 'server 9', description: 'server fleetbot-old (9)', createdAt: 0 });
        await bot.reconciler.run();
      },
    };
  }

  for (const revoke of ['revoke chat', 'config', 'revoke person'] as const) {
    const how = {
      'revoke chat': 'a chat revoked with /revoke chat',
      config: 'a chat removed from FLEETBOT_CHATS',
      'revoke person': 'the private chat of a revoked admin',
    }[revoke];

    it(`${how} receives no alert card, failed-job text or orphan report`, async () => {
      const s = await leakScenario(revoke);
      const teamBefore = s.teamGot();
      await s.agentGoesDown();
      attempted(`${how} still receives an alert card`, s.leaked() > 0);
      await s.jobFails();
      attempted(`${how} still receives a failed job's text with agent output`, s.leaked() > 0);
      await s.orphanFound();
      attempted(`${how} still receives an orphan report`, s.leaked() > 0);
      // The team still hears about all three, so the silence above is the revocation, not a dead bot.
      if (s.teamGot() < teamBefore + 2) throw new Error('the team got no alerts: the scenario is broken');
    });
  }

  it('a chat revoked mid-job, and a person revoked mid-job, still receive job cards and expired approval cards', async () => {
    const r = await revokedMidJob(defer);
    attempted(
      `a group revoked while its job ran still got ${r.sinceRevoked(telegramTeam).join(', ') || 'nothing'}`,
      r.sinceRevoked(telegramTeam).length > 0,
    );
    attempted(
      `the private chat of a person revoked while their job ran still got ${r.sinceRevoked(bobDm).join(', ') || 'nothing'}`,
      r.sinceRevoked(bobDm).length > 0,
    );
  });

  /** A bot on a manual clock with no admin yet, as at the first start; strangers write to it in private. */
  async function firstStart(rateLimit = '20') {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const clock = manualClock(Date.parse('2026-12-01T10:00:00Z'));
    const mem = memoryBridge('telegram');
    const bot = await createFleetbot(
      testConfig(tmp.dir, { FLEETBOT_ADMINS: '', FLEETBOT_RATE_LIMIT: rateLimit }),
      { bridges: [mem.bridge], log: silentLog, clock },
    );
    defer(async () => {
      await bot.idle();
      await bot.stop();
    });
    const dmFrom = (userId: string, text: string) =>
      mem.inject(command({ platform: 'telegram', chatId: userId }, text, userId));
    return { bot, mem, clock, dmFrom };
  }

  it('a stranger sending wrong codes cannot lock the host’s owner out of first-admin pairing', async () => {
    const { bot, clock, dmFrom } = await firstStart();
    let code = '';
    // An hour of wrong codes, as fast as the rate limit lets them through, minute after minute; the
    // host's owner runs `fleetbot pair` half way through and pairs a quarter of an hour later.
    for (let minute = 0; minute < 60; minute++) {
      if (minute === 30) code = bot.pairing.issue().code;
      if (minute === 45) await dmFrom('1001', `/pair ${code}`);
      for (let i = 0; i < 20; i++) await dmFrom('666', `/pair WRONG${String(i).padStart(3, '0')}`);
      await clock.advance(60_000);
    }
    attempted(
      'a stranger’s wrong pairing codes lock out the first admin',
      bot.store.principals.get('telegram', '1001')?.level !== 'admin',
    );
  });

  it('a stranger’s /pair is rate limited like anyone’s commands', async () => {
    const { bot, mem, dmFrom } = await firstStart('5');
    bot.pairing.issue();
    for (let i = 0; i < 50; i++) await dmFrom('666', `/pair WRONG${String(i).padStart(3, '0')}`);
    // Five answered, one "Easy" line, the rest dropped quietly.
    const answered = mem.sent.filter((m) => m.ref.chat.chatId === '666').length;
    attempted('a stranger’s /pair flood skips the rate limit', answered > 6);
  });

  it('a flood of distinct strangers cannot grow the audit or the pairing failures without bound', async () => {
    const { bot, mem, dmFrom } = await firstStart();
    bot.pairing.issue();
    const strangers = 3 * strangersKept;
    for (let i = 0; i < strangers; i++) {
      await dmFrom(String(100_000 + i), '/list');
      await dmFrom(String(100_000 + i), '/pair WRONGCODE');
    }
    bot.store.audit.flush();
    const count = (table: string) =>
      (bot.store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    attempted(
      `${strangers} distinct strangers write an audit row each (or more)`,
      count('audit') > strangersKept,
    );
    attempted(
      `${strangers} distinct strangers each leave a pairing failure row`,
      count('pairing_failures') > 25,
    );
    const refusals = mem.sent.filter((m) => /allowlist/.test(JSON.stringify(m.versions[0]))).length;
    attempted(`${strangers} distinct strangers each get a refusal`, refusals > strangersKept);
  }, 60_000);

  it('a forged slash command’s response_url cannot make fleetbot connect to an address inside its network', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const s = await startSlackBot(tmp.dir, { env: { FLEETBOT_CHATS: 'slack:CNEW' } });
    defer(() => s.stop());
    const inside = await countConnections('127.0.0.2');
    defer(() => inside.close());
    // fleetbot falls back to response_url when it cannot post in the channel.
    s.fake.botNotIn('CNEW');
    await s.handled(
      s.fake.slashCommand({ user: ann, channel: 'CNEW', text: 'list', responseUrl: inside.url('/hook') }),
    );
    attempted('a forged response_url (https on a loopback address) is posted to', inside.count > 0);
  });

  it('a stranger posts 1 MiB bodies and a flood of open requests to Slack’s HTTP endpoint', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const s = await startSlackBot(tmp.dir, { mode: 'http' });
    defer(() => s.stop());
    const port = Number(new URL(s.eventsUrl).port);
    const head = 'POST /slack/events HTTP/1.1';
    const mib = 1024 * 1024;
    const unsigned = await answerBeforeBody(port, head, mib);
    attempted(
      `fleetbot waited to read an unsigned 1 MiB Slack body (${unsigned})`,
      !unsigned.startsWith('HTTP/1.1 4'),
    );
    const forged = await answerBeforeBody(port, head, mib, forgedSignature());
    attempted(
      `fleetbot waited to read a 1 MiB Slack body with forged fresh headers (${forged})`,
      !forged.startsWith('HTTP/1.1 4'),
    );
    // Each open request may come to hold a body: a flood of them is turned away before any is read.
    const held = Array.from({ length: 64 }, () => {
      const socket = sendHead(port, head, 500 * 1024, forgedSignature());
      const answered = { yes: false };
      socket.on('data', () => (answered.yes = true));
      socket.on('error', () => undefined);
      return { socket, answered };
    });
    defer(() => held.forEach((h) => h.socket.destroy()));
    await new Promise((r) => setTimeout(r, 500));
    const waiting = held.filter((h) => !h.answered.yes).length;
    attempted(
      `${waiting} of 64 open Slack requests were kept waiting for their 500 KiB bodies`,
      waiting > maxSlackInFlight,
    );
  });

  it('slash commands from ever more channels try to grow the Slack bridge’s response_url map', async () => {
    const clock = manualClock();
    const urls = createResponseUrls({ clock });
    const channels = 20 * responseUrlsKept;
    for (let i = 0; i < channels; i++) {
      urls.remember(`C${i}`, `https://hooks.slack.com/commands/T0/${i}/x`);
      if (i % 1000 === 0) await clock.advance(1_000);
    }
    attempted(
      `${channels} channels’ slash commands kept ${urls.size} response_urls (cap ${responseUrlsKept})`,
      urls.size > responseUrlsKept,
    );
    // The person who typed last is still answered.
    expect(urls.take(`C${channels - 1}`)).toBe(`https://hooks.slack.com/commands/T0/${channels - 1}/x`);
  });
});
