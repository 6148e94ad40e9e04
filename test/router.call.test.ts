import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAccess } from '../src/core/access/access.js';
import { createApiKey } from '../src/core/access/apiKeys.js';
import type { ApiScope } from '../src/core/access/apiScopes.js';
import type { ApiCall, CallResult } from '../src/core/api/call.js';
import { operations } from '../src/core/api/operations.js';
import { createMessenger } from '../src/core/chat/messenger.js';
import { defineCommand, withRecord, type Services } from '../src/core/router/command.js';
import { createRouter } from '../src/core/router/router.js';
import type { Clock } from '../src/core/runtime/clock.js';
import { createLogger } from '../src/core/runtime/logging.js';
import { createFleetbot, type Fleetbot } from '../src/main.js';
import { silentLog, tempDir, testConfig } from './support/env.js';
import { manualClock } from './support/manualClock.js';
import { memoryBridge } from './support/memoryBridge.js';

/** A whole bot behind a memory bridge, its log captured, for calls made as programs do. */
async function setup(opts: { clock?: Clock; env?: Record<string, string> } = {}) {
  const tmp = tempDir();
  let logged = '';
  const log = createLogger({
    level: 'trace',
    pretty: false,
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        logged += chunk.toString();
        done();
      },
    }),
  });
  const bot: Fleetbot = await createFleetbot(
    testConfig(tmp.dir, { FLEETBOT_ADMINS: 'telegram:1', ...opts.env }),
    {
      bridges: [memoryBridge('telegram').bridge],
      log,
      ...(opts.clock ? { clock: opts.clock } : {}),
      providerSettings: { local: { healthDeadlineMs: 10_000, stopGraceMs: 2_000, pollIntervalMs: 50 } },
    },
  );
  const keys: string[] = [];
  return {
    bot,
    key(name: string, scopes: ApiScope[], expiresAt: number | null = null): string {
      const { key } = createApiKey(bot.store, { name, scopes, createdBy: 'telegram:1', expiresAt });
      keys.push(key);
      return key;
    },
    call: (key: string, command: string, args: Record<string, unknown> = {}): Promise<CallResult> =>
      bot.router.call({ who: { key }, command, args } satisfies ApiCall),
    audit: () => bot.store.audit.recent(50).reverse(),
    /** Whether any key made in this test shows up in the audit, the store's other tables or the log. */
    leaked: (): boolean => {
      const audit = JSON.stringify(bot.store.db.prepare('SELECT * FROM audit').all());
      return keys.some((k) => audit.includes(k) || logged.includes(k) || logged.includes(k.slice(4)));
    },
    cleanup: async () => {
      await bot.idle();
      await bot.stop();
      tmp.cleanup();
    },
  };
}

/** The record a successful call returned, checked against the operation's output schema as the API serves it. */
const recordOf = (result: CallResult, command: string): Record<string, unknown> => {
  if (!result.ok) throw new Error(`the call failed: ${result.problem}: ${result.detail}`);
  const operation = operations.find((o) => o.command === command)!;
  return operation.output.parse(result.result!.record);
};

describe('Router.call', () => {
  let env: Awaited<ReturnType<typeof setup>> | undefined;
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });

  it('refuses unknown keys, audited once per cool-down, and revoked or expired keys under their name, never writing a key down', async () => {
    const clock = manualClock(Date.parse('2026-12-07T10:00:00Z'));
    env = await setup({ clock });
    const unknown = `fbk_${'A'.repeat(43)}`;
    const notAKey = {
      ok: false,
      problem: 'unauthenticated',
      detail:
        'That is not a valid fleetbot API key (they start with fbk_). Ask an admin for one: /keys create, in a private chat with the bot.',
    };
    expect(await env.call(unknown, 'list')).toEqual(notAKey);
    expect(await env.call('nope', 'deploy', { role: 'swe', name: 'x' })).toEqual(notAKey);
    expect(await env.call(`${unknown.slice(0, -1)}B`, 'list')).toEqual(notAKey);
    const unknownRows = () => env!.audit().filter((a) => a.outcome === 'refused: unknown key');
    expect(unknownRows()).toEqual([
      expect.objectContaining({ platform: 'api', userId: 'unknown', action: 'api', detail: '/list' }),
    ]);
    await clock.advance(10 * 60_000);
    await env.call(unknown, 'status', { name: 'alice' });
    expect(unknownRows().map((a) => a.detail)).toEqual(['/list', '/status']);

    const revoked = env.key('old', ['agents:read']);
    env.bot.store.apiKeys.revoke('old');
    expect(await env.call(revoked, 'list')).toEqual({
      ok: false,
      problem: 'unauthenticated',
      detail: 'The API key old was revoked on 2026-12-07T10:10:00.000Z. Ask an admin for a new one.',
    });
    const expiring = env.key('temp', ['agents:read'], clock.now() + 1000);
    expect(await env.call(expiring, 'list')).toMatchObject({ ok: true, principal: 'api:temp' });
    await clock.advance(1000);
    expect(await env.call(expiring, 'list')).toEqual({
      ok: false,
      problem: 'unauthenticated',
      detail: 'The API key temp expired on 2026-12-07T10:10:01.000Z. Ask an admin for a new one.',
    });
    // Each refusal of a key that was ours is audited, under its name, every time.
    await env.call(revoked, 'list');
    expect(env.audit().map((a) => `${a.platform}:${a.userId} ${a.action} ${a.outcome}`)).toEqual([
      'api:unknown api refused: unknown key',
      'api:unknown api refused: unknown key',
      'api:old api refused: revoked key',
      'api:temp list ok',
      'api:temp api refused: expired key',
      'api:old api refused: revoked key',
    ]);
    expect(env.leaked()).toBe(false);
  });

  it('refuses a key beyond its scopes, bad arguments and unknown commands, each with its problem kind', async () => {
    env = await setup();
    const reader = env.key('reader', ['agents:read']);
    expect(await env.call(reader, 'deploy', { role: 'swe', name: 'alice' })).toEqual({
      ok: false,
      problem: 'forbidden',
      detail:
        'The key reader has the scopes agents:read; /deploy needs agents:deploy. Ask an admin for a key with that scope (/keys create).',
    });
    expect(await env.call(reader, 'list', { all: true, bogus: 1 })).toEqual({
      ok: false,
      problem: 'invalid',
      detail: 'Unrecognized key: "bogus"',
    });
    expect(await env.call(reader, 'status', { name: 'Not A Name' })).toMatchObject({
      ok: false,
      problem: 'invalid',
      detail: expect.stringMatching(/^name: /) as string,
    });
    expect(await env.call(reader, 'frobnicate')).toEqual({
      ok: false,
      problem: 'not_found',
      detail: 'There is no command frobnicate for programs.',
    });
    // Pairing is for people in a private chat, never for programs.
    expect(await env.call(reader, 'pair', { code: 'ABCDEFGH' })).toMatchObject({ problem: 'not_found' });
    expect(await env.call(reader, 'status', { name: 'ghost' })).toEqual({
      ok: false,
      problem: 'not_found',
      detail: 'There is no agent named ghost. /list shows the agents.',
    });
    expect(env.audit().map((a) => `${a.userId} ${a.action} ${a.outcome} ${a.detail ?? ''}`)).toEqual([
      'reader deploy refused: needs scope agents:deploy /deploy role="swe" name="alice"',
      'reader list rejected: bad arguments /list all=true bogus=1',
      'reader status rejected: bad arguments /status name="Not A Name"',
      'reader api rejected: unknown command /frobnicate',
      'reader api rejected: unknown command /pair …',
      'reader status refused There is no agent named ghost. /list shows the agents.',
    ]);
    expect(env.bot.store.jobs.recent(5)).toEqual([]);
  });

  it('refuses a level the arguments need (permissionFor) with what a key can do about it', async () => {
    env = await setup();
    // No command in the table asks a key for more than its scope gives, so one is made here.
    const peek = defineCommand({
      name: 'peek',
      summary: 'Look at an agent, deeply for operators',
      usage: '/peek [--deep]',
      permission: 'viewer',
      scope: 'agents:read',
      permissionFor: (args) => (args.deep ? 'operator' : 'viewer'),
      positional: [],
      args: z.object({ deep: z.boolean().default(false) }).strict(),
      run: async (_ctx, { deep }) => withRecord({ deep }),
    });
    const router = createRouter({
      commands: [peek],
      services: { now: () => Date.now() } as unknown as Services,
      access: createAccess(env.bot.store),
      approvals: env.bot.approvals,
      messenger: createMessenger([]),
      store: env.bot.store,
      clock: { now: () => Date.now(), setTimeout, clearTimeout },
      log: silentLog,
      commandsPerMinute: 20,
    });
    const reader = env.key('reader', ['agents:read']);
    const call = (args: Record<string, unknown>) =>
      router.call({ who: { key: reader }, command: 'peek', args });
    expect(await call({})).toMatchObject({ ok: true, result: { record: { deep: false } } });
    expect(await call({ deep: true })).toEqual({
      ok: false,
      problem: 'forbidden',
      detail:
        '/peek needs the operator level; the key reader has viewer (scopes agents:read).\nAsk an admin for a key with a scope that gives it (/keys create).',
    });
    expect(env.audit().at(-1)).toMatchObject({
      userId: 'reader',
      action: 'peek',
      outcome: 'refused: needs operator',
    });
  });

  it('limits each key like a person, telling it every time when to come back', async () => {
    env = await setup({ env: { FLEETBOT_RATE_LIMIT: '3' } });
    const busy = env.key('busy', ['agents:read']);
    const calm = env.key('calm', ['agents:read']);
    for (let i = 0; i < 3; i++) expect(await env.call(busy, 'list')).toMatchObject({ ok: true });
    for (let i = 0; i < 2; i++) {
      const limited = await env.call(busy, 'list');
      expect(limited).toMatchObject({
        ok: false,
        problem: 'rate_limited',
        detail: expect.stringMatching(
          /^Easy: that is more than 3 commands a minute\. Try again in \d+ s\.$/,
        ) as string,
      });
      expect(!limited.ok && limited.retryAfterMs).toBeGreaterThan(0);
    }
    expect(await env.call(calm, 'list')).toMatchObject({ ok: true });
    expect(
      env
        .audit()
        .filter((a) => a.outcome === 'refused: rate limit')
        .map((a) => a.userId),
    ).toEqual(['busy', 'busy']);
  });

  it('returns the records programs get: agents, a deploy’s job, an agent checked now, its logs', async () => {
    env = await setup();
    const ci = env.key('ci', ['agents:read', 'agents:deploy']);
    expect(recordOf(await env.call(ci, 'list'), 'list')).toEqual({ agents: [] });

    const deployed = await env.call(ci, 'deploy', { role: 'swe', name: 'alice' });
    expect(deployed).toMatchObject({ ok: true, principal: 'api:ci', result: { accepted: true } });
    expect(recordOf(deployed, 'deploy')).toMatchObject({
      job: {
        id: 1,
        kind: 'deploy',
        subject: 'alice',
        requester: 'api:ci',
        status: expect.stringMatching(/^(queued|running)$/) as string,
      },
    });
    await env.bot.idle();
    expect(env.bot.store.jobs.byId(1)).toMatchObject({ status: 'succeeded' });

    expect(recordOf(await env.call(ci, 'status', { name: 'alice' }), 'status')).toMatchObject({
      agent: {
        name: 'alice',
        role: 'swe',
        provider: 'local',
        status: 'running',
        owner: 'api:ci',
        health: { state: 'healthy' },
      },
    });
    const logs = recordOf(await env.call(ci, 'logs', { name: 'alice', n: 5 }), 'logs');
    expect(logs).toMatchObject({ agent: 'alice' });
    expect((logs.lines as string[]).length).toBeLessThanOrEqual(5);
    expect(recordOf(await env.call(ci, 'list'), 'list')).toMatchObject({
      agents: [{ name: 'alice', status: 'running' }],
    });
    expect(env.audit().map((a) => `${a.userId} ${a.action} ${a.outcome}`)).toEqual(
      expect.arrayContaining(['ci deploy ok', 'ci job deploy succeeded', 'ci status ok', 'ci logs ok']),
    );
    expect(env.leaked()).toBe(false);
  });
});
