import { describe, expect, it } from 'vitest';
import { createJobService } from '../src/core/jobs/service.js';
import { createMessenger } from '../src/core/chat/messenger.js';
import { openStore } from '../src/core/store/index.js';
import { silentLog } from './support/env.js';
import { manualClock } from './support/manualClock.js';
import { addRequester, imageJob } from './support/imageJob.js';
import { memoryBridge } from './support/memoryBridge.js';

/** A job service whose chat holds every send until the test lets it through. */
function slowChat() {
  const clock = manualClock();
  const store = openStore(':memory:', clock);
  addRequester(store);
  const mem = memoryBridge('telegram');
  const send = mem.bridge.send.bind(mem.bridge);
  let release: () => void = () => undefined;
  const answered = new Promise<void>((r) => (release = r));
  mem.bridge.send = async (...args) => (await answered, send(...args));
  const jobs = createJobService({
    store,
    messenger: createMessenger([mem.bridge]),
    clock,
    log: silentLog,
    concurrency: 1,
  });
  const started: (string | null)[] = [];
  const request = imageJob([
    {
      key: 'build',
      title: 'Build',
      run: async (ctx) => void started.push(store.jobs.byId(ctx.jobId)!.messageId),
    },
  ]);
  return { clock, store, mem, jobs, started, release, submit: () => jobs.submit(request) };
}

describe('a job and its card', () => {
  it('starts its first step only once its card is posted and on record, so a kill cannot orphan the card', async () => {
    const t = slowChat();
    const job = t.submit();
    await t.clock.advance(1_000);
    expect(t.started).toEqual([]);
    expect(t.store.jobs.byId(job.id)!.status).toBe('queued');
    t.release();
    await t.jobs.idle();
    expect(t.started).toEqual(['1']);
    expect(t.mem.texts()).toEqual([expect.stringMatching(/^✅ Done: Build image for swe/)]);
    // The card shows the end, so a restart has nothing to redraw.
    expect(t.store.jobs.cardsBehind()).toEqual([]);
  });

  it('does not let a chat that never answers hold the job for more than 5 s', async () => {
    const t = slowChat();
    t.submit();
    await t.clock.advance(4_900);
    expect(t.started).toEqual([]);
    await t.clock.advance(100);
    expect(t.started).toEqual([null]);
    t.release();
    await t.jobs.idle();
  });
});
