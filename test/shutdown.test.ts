import { describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/runtime/clock.js';
import { createJobService, type JobRequest } from '../src/core/jobs/service.js';
import { createMessenger } from '../src/core/chat/messenger.js';
import { openStore } from '../src/core/store/index.js';
import { useCleanups } from './support/cleanups.js';
import { silentLog, tempDir } from './support/env.js';
import { addRequester, imageJob } from './support/imageJob.js';
import { memoryBridge } from './support/memoryBridge.js';

describe('graceful shutdown', () => {
  const defer = useCleanups();

  it('pauses a running job at its next step, says so on its card, and a new process carries on from there', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const mem = memoryBridge('telegram', { maxTextLength: 4096, minEditIntervalMs: 0 });
    const file = `${tmp.dir}/fleetbot.db`;
    const ran: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const request = (): JobRequest =>
      imageJob([
        {
          key: 'build',
          title: 'Build',
          rerunnable: true,
          run: async () => (ran.push('build'), await gate, { built: true }),
        },
        { key: 'snapshot', title: 'Snapshot', rerunnable: true, run: async () => void ran.push('snapshot') },
      ]);

    const first = openStore(file, systemClock);
    addRequester(first);
    const jobs = createJobService({
      store: first,
      messenger: createMessenger([mem.bridge]),
      clock: systemClock,
      log: silentLog,
      concurrency: 2,
    });
    const job = jobs.submit(request());
    await new Promise((r) => setTimeout(r, 20));
    const draining = jobs.drain(5_000);
    expect(() => jobs.submit({ ...request(), subject: 'image other' })).toThrow(
      'fleetbot is restarting; send the command again in a minute.',
    );
    release();
    await draining;
    expect(first.jobs.byId(job.id)).toMatchObject({ status: 'paused', error: null });
    expect(mem.texts().at(-1)).toMatch(
      /^⏸ Paused: Build image for swe · job #1.*\n✅ Build · .*\n◻️ Snapshot\nPaused while fleetbot restarts; it carries on when fleetbot is back\.$/s,
    );
    first.close();

    const second = openStore(file, systemClock);
    defer(() => second.close());
    const later = createJobService({
      store: second,
      messenger: createMessenger([mem.bridge]),
      clock: systemClock,
      log: silentLog,
      concurrency: 2,
    });
    later.resume(second.jobs.byId(job.id)!, {
      ...request(),
      wording: { ...request().wording, note: '↻ Resumed after a restart of fleetbot' },
    });
    await later.idle();
    expect(ran).toEqual(['build', 'snapshot']);
    expect(second.jobs.byId(job.id)).toMatchObject({ status: 'succeeded' });
    expect(mem.sent).toHaveLength(1);
    expect(mem.texts()[0]).toMatch(
      /^✅ Done: Build image for swe · job #1.*\n↻ Resumed after a restart of fleetbot\n✅ Build · .*\n✅ Snapshot · /s,
    );
  });
});
