import { afterEach, describe, expect, it } from 'vitest';
import { createFleetbot, type Fleetbot } from '../src/main.js';
import type { Inbound, UserRef } from '../src/core/chat/types.js';
import { silentLog, tempDir, testConfig } from './support/env.js';
import type { Clock } from '../src/core/runtime/clock.js';
import { strangersKept } from '../src/core/router/stages.js';
import { manualClock } from './support/manualClock.js';
import { memoryBridge } from './support/memoryBridge.js';

const adminUser: UserRef = { platform: 'telegram', userId: '1', name: 'ada' };
const dm = (userId: string) => ({ platform: 'telegram' as const, chatId: userId });
const command = (text: string, user = adminUser, chat = dm(user.userId), direct = true): Inbound => ({
  kind: 'command',
  chat,
  user,
  direct,
  text,
  at: new Date(),
});

async function setup(clock?: Clock) {
  const tmp = tempDir();
  const mem = memoryBridge('telegram');
  const bot: Fleetbot = await createFleetbot(
    testConfig(tmp.dir, { FLEETBOT_ADMINS: 'telegram:1', FLEETBOT_CHATS: 'telegram:-100' }),
    {
      bridges: [mem.bridge],
      log: silentLog,
      ...(clock ? { clock } : {}),
    },
  );
  return {
    bot,
    mem,
    say: async (text: string, user = adminUser, chat = dm(user.userId), direct = true) => {
      await mem.inject(command(text, user, chat, direct));
      return mem.texts().at(-1) ?? '';
    },
    cleanup: async () => {
      await bot.idle();
      await bot.stop();
      tmp.cleanup();
    },
  };
}

describe('router', () => {
  let env: Awaited<ReturnType<typeof setup>>;
  afterEach(async () => env.cleanup());

  it('refuses an unknown user once, showing their ids, with one audit row per cool-down and no job', async () => {
    env = await setup();
    const stranger = { platform: 'telegram' as const, userId: '666', name: 'mallory' };
    const reply = await env.say('/deploy swe evil', stranger);
    expect(reply).toBe(
      'You are not on fleetbot’s allowlist.\nyour id: telegram:666, this chat: telegram:666. Ask an admin (telegram:1) to send /allow user telegram:666 viewer.',
    );
    await env.say('/deploy swe evil', stranger);
    await env.say('/list', stranger);
    expect(env.mem.texts()).toHaveLength(1); // cool-down: one refusal, not three
    expect(env.bot.store.jobs.recent(10)).toEqual([]);
    expect(env.bot.store.agents.list({ includeGone: true })).toEqual([]);
    const audit = env.bot.store.audit.recent(10);
    expect(audit).toHaveLength(1);
    expect(audit.every((a) => a.userId === '666' && a.outcome === 'refused: not allowed')).toBe(true);
  });

  it('writes a bounded number of audit rows and pairing failures under a flood of distinct strangers', async () => {
    const clock = manualClock(Date.parse('2026-12-01T10:00:00Z'));
    env = await setup(clock);
    const rows = () => env.bot.store.db.prepare('SELECT COUNT(*) AS n FROM audit').get() as { n: number };
    const failures = () =>
      env.bot.store.db.prepare('SELECT COUNT(*) AS n FROM pairing_failures').get() as { n: number };
    const flood = async (from: number) => {
      for (let i = from; i < from + 1.5 * strangersKept; i++) {
        const stranger = { platform: 'telegram' as const, userId: String(i) };
        await env.mem.inject(command('/list', stranger));
        await env.mem.inject(command('/pair WRONGCODE', stranger));
      }
      env.bot.store.audit.flush();
    };
    await flood(100_000);
    expect(rows().n).toBe(strangersKept);
    expect(failures().n).toBeLessThanOrEqual(25);
    // The next window admits as many again, never more: the audit grows with time, not with strangers.
    await clock.advance(10 * 60_000);
    await flood(200_000);
    expect(rows().n).toBe(2 * strangersKept);
    expect(failures().n).toBeLessThanOrEqual(25);
  }, 60_000);

  it('refuses a group that is not allowed, even for an admin', async () => {
    env = await setup();
    const reply = await env.say('/list', adminUser, { platform: 'telegram', chatId: '-999' }, false);
    expect(reply).toBe(
      'This chat is not allowed to use fleetbot.\nyour id: telegram:1, this chat: telegram:-999. Ask an admin (telegram:1) to send /allow chat telegram:-999.',
    );
  });

  it('lets members of an allowed group look, but not act', async () => {
    env = await setup();
    const member = { platform: 'telegram' as const, userId: '42' };
    const group = { platform: 'telegram' as const, chatId: '-100' };
    expect(await env.say('/list', member, group, false)).toMatch(/^No agents yet\./);
    expect(await env.say('/deploy swe alice', member, group, false)).toBe(
      '/deploy needs the operator level; you are viewer.\nAsk an admin (telegram:1) to send /allow user telegram:42 operator.',
    );
    expect(env.bot.store.jobs.recent(10)).toEqual([]);
    expect(env.bot.store.audit.recent(1)[0]).toMatchObject({
      userId: '42',
      action: 'deploy',
      outcome: 'refused: needs operator',
    });
  });

  it('answers bad input with what is wrong and the usage, never a crash', async () => {
    env = await setup();
    const cases: [string, RegExp][] = [
      [
        '/deploy',
        /^Missing <role> <name>\.\nUsage: \/deploy <role> <name> \[--provider P\] \[--type T\] \[--location L\] \[--host H\]$/,
      ],
      ['/deploy swe', /^Missing <name>\./],
      ['/deploy swe alice extra', /^Too many arguments: extra\./],
      [
        '/deploy swe alice --force',
        /^Unknown option --force\. Options: --provider, --type, --location, --host\./,
      ],
      ['/deploy swe ALICE!', /not a valid agent name: use 3-32 characters/],
      [
        '/deploy nope alice',
        /^There is no role "nope"\. Roles: claude-code, codex, gemini, opencode, research, swe \(see \/roles\)\.$/,
      ],
      ['/deploy swe alice --provider aws', /^Provider "aws" is not configured here\. Available: local\.$/],
      ['/logs alice -n many', /^-n must be a number of lines, e\.g\. -n 50\nUsage: \/logs <name> \[-n N\]$/],
      ['/logs alice -n 100000', /^-n is at most 500 lines/],
      ['/status ghost', /^There is no agent named ghost\. \/list shows the agents\.$/],
      ['/cancel abc', /^Give the job number, e\.g\. \/cancel 12/],
      ['/cancel 99', /^There is no job #99\./],
      ['/frobnicate', /^I don’t know \/frobnicate\. Send \/help for the list of commands\.$/],
      ['hello there', /^Commands start with a slash\. Try \/help\.$/],
      ['/deploy "swe alice', /quote is not closed/],
      [`/deploy ${'x'.repeat(100_000)}`, /too long for a command/],
      ['/status ålîcé☃', /not a valid agent name/],
      ['/deploy swe $(reboot)', /not a valid agent name/],
    ];
    for (const [input, expected] of cases) expect(await env.say(input), input.slice(0, 40)).toMatch(expected);
    expect(env.bot.store.agents.list({ includeGone: true })).toEqual([]);
    // /cmd@otherbot is for another bot: silence; /cmd@ourbot is for us, in any letter case.
    const before = env.mem.sent.length;
    await env.mem.inject(command('/list@SomeOtherBot'));
    expect(env.mem.sent.length).toBe(before);
    await env.mem.inject(command('/list@fleettestbot'));
    expect(env.mem.texts().at(-1)).toMatch(/^No agents yet\./);
  });

  it('refuses a second deploy of a name in flight, naming the running job', async () => {
    env = await setup();
    await env.mem.inject(command('/deploy swe alice'));
    const second = await env.say('/deploy swe alice');
    expect(second).toMatch(
      /^alice is already being deployed by job #1 \((queued|running)\)\. Follow its card, or \/cancel 1\.$/,
    );
    await env.bot.idle();
    expect(await env.say('/deploy research alice')).toBe(
      'An agent named alice already exists (running). Pick another name, or /destroy alice first.',
    );
    expect(env.bot.store.jobs.recent(10)).toHaveLength(1);
    await env.mem.inject(command('/destroy alice'));
    await env.mem.inject({
      kind: 'action',
      chat: dm('1'),
      user: adminUser,
      direct: true,
      message: env.mem.last()!.ref,
      actionId: env.mem.last()!.versions[0]!.buttons![0]![0]!.id,
      at: new Date(),
    });
    await env.bot.idle();
    expect(env.bot.store.agents.latest('alice')?.status).toBe('destroyed');
  });

  it('writes an audit row for every command and refusal', async () => {
    env = await setup();
    await env.say('/whoami');
    await env.say('/nope');
    await env.say('/deploy');
    const rows = env.bot.store.audit.recent(10).map((r) => [r.action, r.outcome]);
    expect(rows).toEqual([
      ['deploy', 'rejected: bad arguments'],
      ['command', 'rejected: unknown command'],
      ['whoami', 'ok'],
    ]);
  });
});
