import { describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/runtime/clock.js';
import { redrawCardsBehind } from '../src/core/jobs/redraw.js';
import { createMessenger } from '../src/core/chat/messenger.js';
import { openStore } from '../src/core/store/index.js';
import { MessageGoneError } from '../src/core/chat/types.js';
import { RateLimitedError } from '../src/core/runtime/errors.js';
import { instantClock } from './support/instantClock.js';
import { silentLog } from './support/env.js';
import { memoryBridge } from './support/memoryBridge.js';
import { message } from '../src/core/chat/outbound.js';
import { addRequester } from './support/imageJob.js';

/** A store holding three jobs that ended while their cards (messages 1–3) still showed them running. */
function endedBehind() {
  const store = openStore(':memory:', systemClock);
  addRequester(store);
  const mem = memoryBridge('telegram');
  const chat = { platform: 'telegram' as const, chatId: '1' };
  for (const subject of ['image swe', 'image research', 'image gone']) {
    const job = store.jobs.create({ kind: 'image', subject, requester: 'telegram:1', chat });
    store.steps.createAll(job.id, [{ key: 'build', title: 'Build' }]);
    void mem.bridge.send(chat, message(`🚀 Running: ${subject}`));
    store.jobs.setMessage(job.id, String(job.id));
    store.jobs.start(job.id);
    store.steps.mark(job.id, 0, 'running');
    store.steps.mark(job.id, 0, 'done', { output: {} });
    store.jobs.finish(job.id, 'succeeded');
  }
  return { store, mem };
}

const redraw = (t: ReturnType<typeof endedBehind>, clock = instantClock()) =>
  redrawCardsBehind({
    store: t.store,
    messenger: createMessenger([t.mem.bridge]),
    clock,
    log: silentLog,
    wordingOf: (job) => ({ title: `Build ${job.subject}`, retryHint: '', cleanupHint: [] }),
  });

describe('cards of jobs that ended while fleetbot was down', () => {
  it('are drawn again from the store at start: a flood wait is waited out, a hang-up tried again, a gone card posted anew', async () => {
    const t = endedBehind();
    const edit = t.mem.bridge.edit.bind(t.mem.bridge);
    const failing = new Map<string, Error[]>([
      ['1', [new RateLimitedError(60_000)]],
      ['2', [new Error('socket hang up')]],
      ['3', [new MessageGoneError('message to edit not found')]],
    ]);
    t.mem.bridge.edit = async (ref, message) => {
      const err = failing.get(ref.messageId)?.shift();
      if (err) throw err;
      return edit(ref, message);
    };
    const clock = instantClock();
    await redraw(t, clock);
    expect(clock.waits).toContain(60_000);
    expect(t.mem.texts()[0]).toMatch(/^✅ Done: Build image swe · job #1 · .*\n✅ Build · /);
    expect(t.mem.texts()[1]).toMatch(/^✅ Done: Build image research/);
    expect(t.mem.texts()[2]).toBe('🚀 Running: image gone');
    expect(t.mem.texts()[3]).toMatch(/^✅ Done: Build image gone/);
    expect(t.store.jobs.byId(3)!.messageId).toBe(t.mem.sent[3]!.ref.messageId);
    expect(t.store.jobs.cardsBehind()).toEqual([]);
  });

  it('leaves a card it could not draw for the next start', async () => {
    const t = endedBehind();
    t.mem.bridge.edit = async () => {
      throw new Error('socket hang up');
    };
    await redraw(t);
    expect(t.store.jobs.cardsBehind().map((j) => j.id)).toEqual([1, 2, 3]);
    expect(t.mem.texts()[0]).toBe('🚀 Running: image swe');
  });
});
