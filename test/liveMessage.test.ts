import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../src/core/runtime/errors.js';
import { createLiveMessage } from '../src/core/chat/liveMessage.js';
import { createMessenger } from '../src/core/chat/messenger.js';
import { message, plainText } from '../src/core/chat/outbound.js';
import { MessageGoneError } from '../src/core/chat/types.js';
import { silentLog } from './support/env.js';
import { manualClock } from './support/manualClock.js';
import { memoryBridge } from './support/memoryBridge.js';

const chat = { platform: 'telegram' as const, chatId: '5' };

function setup(opts: { failEdits?: Error[] } = {}) {
  const clock = manualClock();
  const mem = memoryBridge('telegram', { maxTextLength: 4096, minEditIntervalMs: 1000 });
  const failures = [...(opts.failEdits ?? [])];
  const edit = mem.bridge.edit.bind(mem.bridge);
  const calls: number[] = [];
  mem.bridge.edit = async (ref, out) => {
    calls.push(clock.now());
    const failure = failures.shift();
    if (failure) throw failure;
    return edit(ref, out);
  };
  const moved: string[] = [];
  const live = createLiveMessage({
    messenger: createMessenger([mem.bridge]),
    chat,
    clock,
    log: silentLog,
    onMoved: (r) => moved.push(r.messageId),
  });
  return { clock, mem, live, calls, moved, texts: () => mem.sent.map((s) => s.versions.map(plainText)) };
}

describe('live message', () => {
  it('sends first, then coalesces edits to one per interval, newest state only', async () => {
    const t = setup();
    t.live.update(message('v1'));
    await t.clock.advance(0);
    for (let i = 2; i <= 6; i++) t.live.update(message(`v${i}`));
    await t.clock.advance(999);
    expect(t.texts()).toEqual([['v1']]);
    await t.clock.advance(1);
    expect(t.texts()).toEqual([['v1', 'v6']]);
    t.live.update(message('v7'));
    const flushed = t.live.flush();
    await t.clock.advance(1000);
    await flushed;
    expect(t.texts()).toEqual([['v1', 'v6', 'v7']]);
    expect(t.moved).toEqual(['1']);
    expect(t.live.delivered).toBe(true);
  });

  it('waits out a rate limit, then delivers the newest state', async () => {
    const t = setup({ failEdits: [new RateLimitedError(5000)] });
    t.live.update(message('v1'));
    await t.clock.advance(1000);
    t.live.update(message('v2'));
    await t.clock.advance(0);
    expect(t.calls).toHaveLength(1);
    t.live.update(message('v3'));
    await t.clock.advance(4999);
    expect(t.calls).toHaveLength(1);
    await t.clock.advance(1);
    expect(t.texts()).toEqual([['v1', 'v3']]);
  });

  it('sends a new message when the old one cannot be edited, and reports the move', async () => {
    const t = setup({ failEdits: [new MessageGoneError('deleted')] });
    t.live.update(message('v1'));
    await t.clock.advance(1000);
    t.live.update(message('v2'));
    await t.clock.advance(0);
    expect(t.texts()).toEqual([['v1'], ['v2']]);
    expect(t.moved).toEqual(['1', '2']);
    expect(t.live.ref?.messageId).toBe('2');
  });

  it('retries other failures with backoff and finally gives up so flush never hangs, saying it is behind', async () => {
    const t = setup({ failEdits: Array.from({ length: 10 }, () => new Error('network down')) });
    t.live.update(message('v1'));
    await t.clock.advance(1000);
    t.live.update(message('v2'));
    const flushed = t.live.flush();
    await t.clock.advance(120_000);
    await flushed;
    expect(t.calls.length).toBe(6);
    expect(t.live.delivered).toBe(false);
  });
});
