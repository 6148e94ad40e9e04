import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import type { Caller } from '../../src/core/access/access.js';
import { createAccess } from '../../src/core/access/access.js';
import { createRateLimiter } from '../../src/core/access/rateLimit.js';
import { plainText, message } from '../../src/core/chat/outbound.js';
import type { ChatRef, Inbound, UserRef } from '../../src/core/chat/types.js';
import { defineCommand, type CommandContext, type CommandSpec } from '../../src/core/router/command.js';
import {
  authorize,
  bind,
  createRefusalCooldown,
  strangersKept,
  identify,
  parse,
  rateLimit,
  resolve,
  run,
  type Outcome,
  type Request,
  type Stage,
} from '../../src/core/router/stages.js';
import { UserError } from '../../src/core/runtime/errors.js';
import { openStore } from '../../src/core/store/index.js';
import { commands as allCommands } from '../../src/commands/index.js';
import { silentLog } from '../support/env.js';
import { manualClock } from '../support/manualClock.js';

const ann: UserRef = { platform: 'telegram', userId: '1' };
const vic: UserRef = { platform: 'telegram', userId: '2' };
const mallory: UserRef = { platform: 'telegram', userId: '666' };
const group: ChatRef = { platform: 'telegram', chatId: '-100' };
const dm = (user: UserRef): ChatRef => ({ platform: 'telegram', chatId: user.userId });
const commands = new Map(allCommands.map((c) => [c.name, c]));
const deploy = commands.get('deploy')!;

const said = (text: string, user = ann, chat = dm(user)): Extract<Inbound, { kind: 'command' }> => ({
  kind: 'command',
  chat,
  user,
  direct: chat.chatId === user.userId,
  text,
  at: new Date(),
});
const pressed = (user: UserRef, chat = group): Extract<Inbound, { kind: 'action' }> => ({
  kind: 'action',
  chat,
  user,
  direct: false,
  message: { chat, messageId: '7' },
  actionId: 'abc',
  at: new Date(),
});
const caller = (user: UserRef, level: Caller['level'], chat = dm(user)): Caller => ({
  user,
  chat,
  level,
  principal: `${user.platform}:${user.userId}`,
});

/** The outcome a stage ended the event with, as a person and the audit see it. */
const ended = <T>(stage: Stage<T>) => {
  if (stage.ok) throw new Error(`the stage went on with ${JSON.stringify(stage.value)}`);
  const { audit, toSender, toChat, answer }: Outcome = stage.outcome;
  return {
    audit,
    ...(toSender ? { toSender: plainText(toSender) } : {}),
    ...(toChat ? { toChat: plainText(toChat) } : {}),
    ...(answer ? { answer } : {}),
  };
};
const value = <T>(stage: Stage<T>): T => {
  if (!stage.ok) throw new Error(`the stage stopped: ${JSON.stringify(stage.outcome)}`);
  return stage.value;
};

function world() {
  const clock = manualClock();
  const store = openStore(':memory:', clock);
  store.principals.upsert({ platform: 'telegram', userId: '1', level: 'admin', source: 'config' });
  store.principals.upsert({ platform: 'telegram', userId: '2', level: 'viewer', source: 'chat' });
  const access = createAccess(store);
  return { clock, access, refusals: createRefusalCooldown(clock) };
}
const request = (inbound: Extract<Inbound, { kind: 'command' }>): Request =>
  value(parse(inbound, { commands, ownName: 'fleetbot' }));

describe('parse', () => {
  it('points a person at the slash in a private chat, and stays quiet about chatter in a group', () => {
    expect(ended(parse(said('hello'), { commands, ownName: 'fleetbot' }))).toEqual({
      audit: undefined,
      toSender: 'Commands start with a slash. Try /help.',
    });
    expect(ended(parse(said('hello', ann, group), { commands, ownName: 'fleetbot' }))).toEqual({
      audit: undefined,
    });
  });

  it('ignores a command addressed to another bot, and takes one addressed to this one', () => {
    expect(ended(parse(said('/list@otherbot'), { commands, ownName: 'fleetbot' }))).toEqual({
      audit: undefined,
    });
    expect(value(parse(said('/list@FleetBot'), { commands, ownName: 'fleetbot' })).spec?.name).toBe('list');
  });

  it('keeps a public command’s arguments out of what the audit shows', () => {
    expect(request(said('/pair 123456')).shown).toBe('/pair …');
    expect(request(said('/deploy swe alice')).shown).toBe('/deploy swe alice');
  });
});

describe('identify', () => {
  it('refuses a stranger once per cool-down with their ids, auditing every attempt', async () => {
    const { access, refusals, clock } = world();
    const attempt = () =>
      ended(identify(said('/list', mallory), request(said('/list', mallory)), { access, refusals }));
    const audit = { action: 'command', outcome: 'refused: not allowed' };
    expect(attempt()).toEqual({
      audit,
      toSender:
        'You are not on fleetbot’s allowlist.\nyour id: telegram:666, this chat: telegram:666. Ask an admin (telegram:1) to send /allow user telegram:666 viewer.',
    });
    expect(attempt()).toEqual({ audit });
    await clock.advance(10 * 60_000 - 1);
    expect(attempt()).toEqual({ audit });
    await clock.advance(1);
    expect(attempt().toSender).toMatch(/^You are not on fleetbot’s allowlist\./);
  });

  it('refuses a press from a chat that is not allowed with a short answer', () => {
    const { access, refusals } = world();
    expect(ended(identify(pressed(ann), undefined, { access, refusals }))).toEqual({
      audit: { action: 'button', outcome: 'refused: not allowed' },
      answer: { text: 'You are not allowed to use fleetbot here.', alert: true },
    });
  });

  it('lets a stranger pair in a private chat, unlisted, and ignores pairing in a group', () => {
    const { access, refusals } = world();
    const inDm = said('/pair 123456', mallory);
    expect(value(identify(inDm, request(inDm), { access, refusals }))).toEqual({
      caller: caller(mallory, 'viewer'),
      listed: false,
    });
    const inGroup = said('/pair 123456', mallory, group);
    expect(ended(identify(inGroup, request(inGroup), { access, refusals }))).toEqual({
      audit: { action: 'pair', outcome: 'ignored: not a private chat' },
    });
  });
});

describe('rateLimit', () => {
  const limits = () => {
    const clock = manualClock();
    return {
      limiter: createRateLimiter({ clock, perMinute: 2, maxKeys: 100 }),
      strangers: createRateLimiter({ clock, perMinute: 2, maxKeys: 100 }),
      perMinute: 2,
    };
  };
  const listed = { caller: caller(ann, 'admin'), listed: true };

  it('tells the first command over the limit when to retry, and only audits the next ones', () => {
    const deps = limits();
    const inbound = said('/list');
    expect(value(rateLimit(inbound.kind, listed, request(inbound), deps))).toEqual(listed.caller);
    expect(value(rateLimit(inbound.kind, listed, request(inbound), deps))).toEqual(listed.caller);
    const audit = { action: 'command', outcome: 'refused: rate limit', detail: '/list' };
    expect(ended(rateLimit(inbound.kind, listed, request(inbound), deps))).toEqual({
      audit,
      toSender: 'Easy: that is more than 2 commands a minute. Try again in 60 s.',
    });
    expect(ended(rateLimit(inbound.kind, listed, request(inbound), deps))).toEqual({ audit });
  });

  it('answers presses over the limit without an audit row', () => {
    const deps = limits();
    rateLimit(pressed(ann).kind, listed, undefined, deps);
    rateLimit(pressed(ann).kind, listed, undefined, deps);
    expect(ended(rateLimit(pressed(ann).kind, listed, undefined, deps))).toEqual({
      audit: undefined,
      answer: { text: 'Too many presses; wait a moment.', alert: true },
    });
  });

  it('counts a stranger who is pairing, in a table of their own', () => {
    const deps = limits();
    const stranger = { caller: caller(mallory, 'viewer'), listed: false };
    const inbound = said('/pair 1', mallory);
    expect(rateLimit(inbound.kind, stranger, request(inbound), deps).ok).toBe(true);
    expect(rateLimit(inbound.kind, stranger, request(inbound), deps).ok).toBe(true);
    expect(ended(rateLimit(inbound.kind, stranger, request(inbound), deps))).toEqual({
      audit: { action: 'command', outcome: 'refused: rate limit', detail: '/pair …' },
      toSender: 'Easy: that is more than 2 commands a minute. Try again in 60 s.',
    });
    expect(deps.strangers.size).toBe(1);
    expect(deps.limiter.size).toBe(0);
  });
});

describe('what the router remembers about strangers', () => {
  const flood = (n: number, each: (i: number) => void): void => {
    for (let i = 0; i < n; i++) each(i);
  };
  const someone = (i: number): UserRef => ({ platform: 'telegram', userId: String(10_000 + i) });

  it('keeps the refusal cool-downs of a flood of distinct strangers bounded, and forgets them after the window', async () => {
    const { access, refusals, clock } = world();
    let told = 0;
    flood(3 * strangersKept, (i) => {
      const inbound = said('/list', someone(i));
      if (ended(identify(inbound, request(inbound), { access, refusals })).toSender) told++;
    });
    expect(refusals.size).toBe(strangersKept);
    expect(told).toBe(strangersKept);
    await clock.advance(10 * 60_000);
    const late = said('/list', someone(0));
    expect(ended(identify(late, request(late), { access, refusals })).toSender).toMatch(/allowlist/);
    expect(refusals.size).toBe(1);
  });

  it('keeps the rate limiter bounded under a flood of distinct keys, and drops keys idle for a minute', async () => {
    const clock = manualClock();
    const limiter = createRateLimiter({ clock, perMinute: 3, maxKeys: 50 });
    flood(500, (i) => limiter.take(`telegram:${i}`));
    expect(limiter.size).toBe(50);
    // A key that finds the table full is refused quietly.
    expect(limiter.take('telegram:late')).toEqual({ ok: false, retryInMs: 60_000, tell: false });
    await clock.advance(60_000);
    expect(limiter.take('telegram:late')).toEqual({ ok: true });
    expect(limiter.size).toBe(1);
  });
});

describe('resolve', () => {
  it('says what is wrong with a line that does not parse', () => {
    const inbound = said('/deploy "swe');
    expect(ended(resolve(inbound, request(inbound), { commands, level: 'admin' }))).toEqual({
      audit: { action: 'command', outcome: 'rejected: unparsable', detail: '/deploy "swe' },
      toSender: 'A " quote is not closed. Wrap arguments with spaces in matching quotes.',
    });
  });

  it('points at /help for a command it does not know', () => {
    const inbound = said('/nope now');
    expect(ended(resolve(inbound, request(inbound), { commands, level: 'admin' }))).toEqual({
      audit: { action: 'command', outcome: 'rejected: unknown command', detail: '/nope now' },
      toSender: 'I don’t know /nope. Send /help for the list of commands.',
    });
  });

  it('suggests the closest command this person may run, with the words they typed', () => {
    const typo = said('/destory alice');
    expect(ended(resolve(typo, request(typo), { commands, level: 'operator' }))).toEqual({
      audit: { action: 'command', outcome: 'rejected: unknown command', detail: '/destory alice' },
      toSender: 'Unknown command /destory. Did you mean /destroy alice?',
    });
    const quoted = said('/ak alice "hello there"');
    expect(ended(resolve(quoted, request(quoted), { commands, level: 'viewer' })).toSender).toBe(
      'Unknown command /ak. Did you mean /ask alice "hello there"?',
    );
    // /allow is an admin's: a viewer is not pointed at it.
    const admins = said('/alow bob');
    expect(ended(resolve(admins, request(admins), { commands, level: 'admin' })).toSender).toBe(
      'Unknown command /alow. Did you mean /allow bob?',
    );
    expect(ended(resolve(admins, request(admins), { commands, level: 'viewer' })).toSender).toBe(
      'I don’t know /alow. Send /help for the list of commands.',
    );
  });

  it('ignores a public command in a group, even from someone listed', () => {
    const inbound = said('/pair 1', ann, group);
    expect(ended(resolve(inbound, request(inbound), { commands, level: 'admin' }))).toEqual({
      audit: { action: 'pair', outcome: 'ignored: not a private chat' },
    });
  });
});

describe('authorize', () => {
  it('refuses below the level with whom to ask, and passes when no level is asked', () => {
    const { access } = world();
    const need = { level: 'operator' as const, what: '/deploy', action: 'deploy', shown: '/deploy swe a' };
    expect(ended(authorize(caller(vic, 'viewer'), need, { access }))).toEqual({
      audit: { action: 'deploy', outcome: 'refused: needs operator', detail: '/deploy swe a' },
      toSender:
        '/deploy needs the operator level; you are viewer.\nAsk an admin (telegram:1) to send /allow user telegram:2 operator.',
    });
    expect(authorize(caller(vic, 'viewer'), { ...need, level: undefined }, { access }).ok).toBe(true);
  });
});

describe('bind', () => {
  it('says what is missing and shows the usage', () => {
    expect(ended(bind(deploy, ['swe'], '/deploy swe'))).toEqual({
      audit: { action: 'deploy', outcome: 'rejected: bad arguments', detail: '/deploy swe' },
      toSender: expect.stringMatching(/\nUsage: \/deploy <role> <name> \[--provider P\]/) as string,
    });
  });

  it('names the argument and the rule in words where a schema gives no message of its own', () => {
    const tail = defineCommand({
      name: 'tail',
      summary: 'a command for this test',
      usage: '/tail <name> [-n N] [--level L]',
      permission: 'viewer',
      scope: 'agents:read',
      positional: ['name'],
      flags: { n: { type: 'value', short: 'n' }, level: { type: 'value' } },
      args: z.object({
        name: z.string().max(8),
        n: z.coerce.number().int().min(1).optional(),
        level: z.enum(['info', 'warn']).optional(),
      }),
      run: async () => undefined,
    });
    const told = (tokens: string[]) => ended(bind(tail, tokens, 'shown')).toSender;
    expect(told(['a', '-n', 'many'])).toBe('-n must be a number.\nUsage: /tail <name> [-n N] [--level L]');
    expect(told(['a', '-n', '0'])).toMatch(/^-n must be at least 1\.\n/);
    expect(told(['a', '-n', '2.5'])).toMatch(/^-n must be a whole number\.\n/);
    expect(told(['a', '--level', 'loud'])).toMatch(/^--level must be one of info, warn\.\n/);
    expect(told(['abcdefghij'])).toMatch(/^<name> must be at most 8 characters\.\n/);
  });

  it('never shows zod’s own wording for any argument of any command', () => {
    const garbage = ['NaN', '-1', '0', '2.5', 'x'.repeat(300), '', 'Ω'];
    const zodWords = /expected|received|Invalid input|Too (small|big)|Unrecognized/;
    for (const spec of commands.values()) {
      const names = [
        ...spec.positional.map((p) => p.replace(/[?.]+$/, '')),
        ...Object.keys(spec.flags ?? {}),
      ];
      for (const name of names) {
        for (const bad of garbage) {
          const tokens = [
            ...spec.positional.map((p) => (p.replace(/[?.]+$/, '') === name ? bad : 'alice')),
            ...(spec.flags?.[name]
              ? spec.flags[name].type === 'boolean'
                ? [`--${name}`]
                : [`--${name}`, bad]
              : []),
          ];
          const out = bind(spec, tokens, 'shown');
          if (!out.ok)
            expect(plainText(out.outcome.toSender!), `/${spec.name} ${tokens.join(' ')}`).not.toMatch(
              zodWords,
            );
        }
      }
    }
  });
});

describe('run', () => {
  const spec = (fail?: Error): CommandSpec =>
    defineCommand({
      name: 'try',
      summary: 'a command for this test',
      usage: '/try',
      permission: 'viewer',
      scope: 'agents:read',
      positional: [],
      args: z.object({}),
      run: async () => {
        if (fail) throw fail;
        return message('done');
      },
    });
  const ctx = { ...caller(ann, 'admin') } as CommandContext;

  it('sends the result to the whole chat and audits it as ok', async () => {
    expect(await run(ctx, spec(), {}, '/try', { log: silentLog })).toEqual({
      audit: { action: 'try', outcome: 'ok', detail: '/try' },
      toChat: message('done'),
    });
  });

  it('tells only the sender about their mistake, and gives our own failures a reference', async () => {
    expect(await run(ctx, spec(new UserError('Not like that.')), {}, '/try', { log: silentLog })).toEqual({
      audit: { action: 'try', outcome: 'refused', detail: 'Not like that.' },
      toSender: message('Not like that.'),
      problem: 'refused',
    });
    const failed = await run(ctx, spec(new Error('disk full')), {}, '/try', { log: silentLog });
    const ref = /^ref ([0-9a-f]{6})$/.exec(failed.audit?.detail ?? '')?.[1];
    expect(ref).toBeDefined();
    expect(failed.audit?.outcome).toBe('error');
    expect(failed.problem).toBe('error');
    expect(plainText(failed.toSender!)).toBe(
      `Something went wrong running /try (ref ${ref}). The bot’s log has the details; try again in a moment.`,
    );
  });
});
