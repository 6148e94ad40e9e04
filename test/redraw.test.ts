import { describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/clock.js';
import { redrawCardsBehind } from '../src/core/jobs/redraw.js';
import { createMessenger } from '../src/core/messenger.js';
import { openStore } from '../src/core/store/index.js';
import { MessageGoneError } from '../src/core/types.js';
import { silentLog } from './support/env.js';
import { memoryBridge } from './support/memoryBridge.js';
import { message, plainText } from '../src/core/outbound.js';

/** A store holding three jobs that ended while their cards (messages 1–3) still showed them running. */
function endedBehind() {
  const store = openStore(':memory:', systemClock);
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

const redraw = (t: ReturnType<typeof endedBehind>) =>
  redrawCardsBehind({
    store: t.store,
    messenger: createMessenger([t.mem.bridge]),
    clock: systemClock,
    log: silentLog,
    copyOf: (job) => ({ title: `Build ${job.subject}`, retryHint: '', cleanupHint: [] }),
  });

describe('cards of jobs that ended while fleetbot was down', () => {
  it('are drawn again from the store at start; a failed edit is tried again next time, a gone card is let go', async () => {
    const t = endedBehind();
    const edit = t.mem.bridge.edit.bind(t.mem.bridge);
    t.mem.bridge.edit = async (ref, message) => {
      if (ref.messageId === '2') throw new Error('socket hang up');
      if (ref.messageId === '3') throw new MessageGoneError('message to edit not found');
      return edit(ref, message);
    };
    await redraw(t);
    expect(t.mem.texts()[0]).toMatch(/^✅ Done: Build image swe · job #1 · .*\n✅ Build · /);
    expect(t.mem.texts()[1]).toBe('🚀 Running: image research');
    expect(t.store.jobs.cardsBehind().map((j) => j.id)).toEqual([2]);

    t.mem.bridge.edit = edit;
    await redraw(t);
    expect(plainText(t.mem.sent[1]!.versions.at(-1)!)).toMatch(/^✅ Done: Build image research/);
    expect(t.store.jobs.cardsBehind()).toEqual([]);
  });
});
