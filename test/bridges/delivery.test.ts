import { describe, expect, it } from 'vitest';
import { createDelivery, type PlatformFailure } from '../../src/bridges/shared/delivery.js';
import { createHealth } from '../../src/bridges/shared/health.js';
import { ChatUnreachableError, MessageGoneError, type ChatRef } from '../../src/core/chat/types.js';
import type { ApiOutcome } from '../../src/core/runtime/metrics.js';
import { RateLimitedError } from '../../src/core/runtime/errors.js';
import { silentLog } from '../support/env.js';
import { manualClock } from '../support/manualClock.js';
import { memoryHost } from '../support/memoryHost.js';

/** A platform error carrying its class, so the classifier under test is the identity. */
class FakeError extends Error {
  constructor(readonly failure: PlatformFailure) {
    super(failure.kind);
  }
}

const chat: ChatRef = { platform: 'telegram', chatId: '42' };

/**
 * A delivery on a manual clock whose platform call fails with the given classes in turn, then answers
 * 'ok'; it records each attempt's chat and time (ms after the start).
 */
function setup(failures: PlatformFailure[], extra: { paceMs?: number } = {}) {
  const clock = manualClock();
  const start = clock.now();
  const { host, events } = memoryHost();
  const observed: string[] = [];
  const told: string[] = [];
  const delivery = createDelivery({
    platform: 'Chat',
    clock,
    log: silentLog,
    pace: () => ({ minIntervalMs: extra.paceMs ?? 0 }),
    classify: (err) => (err as FakeError).failure,
    host: () => host,
    observe: (method: string, outcome: ApiOutcome) => void observed.push(`${method} ${outcome}`),
    hint: (c, reason) => `invite the bot to ${c.chatId} (${reason})`,
    tellPrivately: async (c, text) => void told.push(`${c.chatId}: ${text}`),
  });
  const attempts: { chat: ChatRef; at: number }[] = [];
  const platformCall = async (c: ChatRef): Promise<string> => {
    attempts.push({ chat: c, at: clock.now() - start });
    const failure = failures.shift();
    if (failure) throw new FakeError(failure);
    return 'ok';
  };
  /** Settles a call while moving the clock on, so any wait it makes passes. */
  const settled = async <T>(promise: Promise<T>, ms = 120_000): Promise<PromiseSettledResult<T>> => {
    const result = Promise.allSettled([promise]).then(([r]) => r);
    await clock.advance(ms);
    return result;
  };
  const reasonOf = (result: PromiseSettledResult<unknown>): unknown =>
    result.status === 'rejected' ? result.reason : undefined;
  return { clock, delivery, attempts, events, observed, told, platformCall, settled, reasonOf };
}

describe('delivery', () => {
  it('waits out a 429 for exactly retry_after, then sends', async () => {
    const t = setup([{ kind: 'rate-limited', retryAfterMs: 7000 }]);
    const sent = t.delivery.send('post', chat, t.platformCall);
    await t.clock.advance(6999);
    expect(t.attempts.map((a) => a.at)).toEqual([0]);
    await t.clock.advance(1);
    expect(await sent).toEqual({ result: 'ok', chat });
    expect(t.attempts.map((a) => a.at)).toEqual([0, 7000]);
    expect(t.observed).toEqual(['post rate_limited', 'post ok']);
  });

  it('gives up after three waits and hands the last wait to the caller', async () => {
    const limited: PlatformFailure = { kind: 'rate-limited', retryAfterMs: 1000 };
    const t = setup([limited, limited, limited, limited, limited]);
    const err = t.reasonOf(await t.settled(t.delivery.send('post', chat, t.platformCall)));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(1000);
    expect(t.attempts.map((a) => a.at)).toEqual([0, 1000, 2000, 3000]);
  });

  it('hands an edit’s 429 to the caller at once, and keeps the chat quiet until it is over', async () => {
    const t = setup([{ kind: 'rate-limited', retryAfterMs: 5000 }]);
    const err = t.reasonOf(await t.settled(t.delivery.edit('update', chat, t.platformCall), 0));
    expect((err as RateLimitedError).retryAfterMs).toBe(5000);
    const next = t.delivery.send('post', chat, t.platformCall);
    await t.clock.advance(5000);
    await next;
    expect(t.attempts.map((a) => a.at)).toEqual([0, 5000]);
  });

  it('reports a chat that blocked the bot to the host, tells the person another way, and throws', async () => {
    const t = setup([{ kind: 'unreachable', reason: 'bot was blocked by the user' }]);
    const err = t.reasonOf(await t.settled(t.delivery.send('post', chat, t.platformCall)));
    expect(err).toBeInstanceOf(ChatUnreachableError);
    expect((err as Error).message).toBe('invite the bot to 42 (bot was blocked by the user)');
    expect(t.events).toEqual(['unreachable 42: post: bot was blocked by the user']);
    expect(t.told).toEqual(['42: invite the bot to 42 (bot was blocked by the user)']);
    expect(t.attempts).toHaveLength(1);
  });

  it('turns an edit of a deleted message into MessageGoneError, so the caller sends anew', async () => {
    const t = setup([{ kind: 'message-gone', reason: 'message to edit not found' }]);
    const err = t.reasonOf(await t.settled(t.delivery.edit('update', chat, t.platformCall)));
    expect(err).toBeInstanceOf(MessageGoneError);
    expect((err as Error).message).toBe('update: message to edit not found');
  });

  it('takes an edit that changes nothing as done, but not a send', async () => {
    const t = setup([{ kind: 'not-modified' }, { kind: 'not-modified' }]);
    expect(await t.settled(t.delivery.edit('update', chat, t.platformCall))).toEqual({
      status: 'fulfilled',
      value: undefined,
    });
    const err = t.reasonOf(await t.settled(t.delivery.send('post', chat, t.platformCall)));
    expect((err as Error).message).toBe('Chat post failed: not-modified');
  });

  it('follows a chat that moved to a new id, telling the host', async () => {
    const t = setup([{ kind: 'migrated', toChatId: '-10042' }]);
    const sent = await t.settled(t.delivery.send('post', { ...chat, chatId: '-42' }, t.platformCall));
    const moved: ChatRef = { platform: 'telegram', chatId: '-10042' };
    expect(sent).toEqual({ status: 'fulfilled', value: { result: 'ok', chat: moved } });
    expect(t.events).toEqual(['migrated -42 -> -10042']);
    expect(t.attempts.map((a) => a.chat.chatId)).toEqual(['-42', '-10042']);
  });

  it('posts in the chat itself when its topic is gone', async () => {
    const t = setup([{ kind: 'thread-gone' }]);
    const sent = await t.settled(t.delivery.send('post', { ...chat, threadId: '9' }, t.platformCall));
    expect(sent).toEqual({ status: 'fulfilled', value: { result: 'ok', chat } });
    expect(t.attempts.map((a) => a.chat)).toEqual([{ ...chat, threadId: '9' }, chat]);
  });

  it('fails any other error with the platform, method and reason, keeping the cause', async () => {
    const t = setup([{ kind: 'network', reason: 'ECONNRESET' }]);
    const err = t.reasonOf(await t.settled(t.delivery.send('post', chat, t.platformCall))) as Error;
    expect(err.message).toBe('Chat post failed: ECONNRESET');
    expect(err.cause).toBeInstanceOf(FakeError);
    expect(t.attempts).toHaveLength(1);
    expect(t.observed).toEqual(['post error']);
  });

  it('paces sends to one chat', async () => {
    const t = setup([], { paceMs: 1000 });
    const both = Promise.all([
      t.delivery.send('post', chat, t.platformCall),
      t.delivery.send('post', chat, t.platformCall),
    ]);
    await t.clock.advance(1000);
    await both;
    expect(t.attempts.map((a) => a.at)).toEqual([0, 1000]);
  });
});

describe('bridge health', () => {
  it('reports the transport until the bridge gives up, then the reason for good', () => {
    const fatal: Error[] = [];
    const health = createHealth((err) => fatal.push(err));
    const transport = () => ({ ok: true, detail: 'polling' });
    expect(health.report(transport)).toEqual({ ok: true, detail: 'polling' });
    health.fail(new Error('token refused'));
    expect(fatal.map((e) => e.message)).toEqual(['token refused']);
    expect(health.report(transport)).toEqual({ ok: false, detail: 'token refused' });
  });
});
