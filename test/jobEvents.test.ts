import { describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/runtime/clock.js';
import { followJob } from '../src/core/jobs/events.js';
import type { Plan } from '../src/core/jobs/plan.js';
import { runPlan } from '../src/core/jobs/runner.js';
import type { StreamEvent } from '../src/core/router/command.js';
import { openStore } from '../src/core/store/index.js';
import { silentLog } from './support/env.js';

/** A deploy-like job whose third step fails, so the first two are undone in reverse. */
function failingJob() {
  const store = openStore(':memory:', systemClock);
  const agent = store.agents.create({ name: 'carol', role: 'swe', provider: 'local', owner: 'api:ci' });
  const job = store.jobs.create({
    kind: 'deploy',
    subject: 'carol',
    agentId: agent.id,
    requester: 'api:ci',
    chat: { platform: 'api', chatId: 'ci' },
  });
  const plan: Plan = [
    {
      key: 'folder',
      title: 'Make its folder',
      run: async () => ({ made: true }),
      undo: async () => undefined,
    },
    { key: 'start', title: 'Start it', run: async () => ({ pid: 1 }), undo: async () => undefined },
    {
      key: 'health',
      title: 'Check it answers',
      run: async () => {
        throw new Error('no answer on port 4100');
      },
    },
  ];
  store.steps.createAll(
    job.id,
    plan.map((s) => ({ key: s.key, title: s.title })),
  );
  const watchers = new Set<() => void>();
  const changed = () => watchers.forEach((w) => w());
  const watch = (_jobId: number, onChange: () => void) => {
    watchers.add(onChange);
    return () => void watchers.delete(onChange);
  };
  const run = async () => {
    store.jobs.start(job.id);
    changed();
    const outcome = await runPlan({
      jobId: job.id,
      plan,
      steps: store.steps,
      clock: systemClock,
      log: silentLog,
      signal: new AbortController().signal,
      onChange: changed,
    });
    store.jobs.finish(job.id, outcome.status, outcome.error);
    changed();
  };
  return { store, job, watch, watchers, run };
}

const collect = async (events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> => {
  const seen: StreamEvent[] = [];
  for await (const e of events) seen.push(e);
  return seen;
};

const summary = (events: StreamEvent[]) =>
  events.map((e) => {
    const data = e.data as { step?: string; status?: string };
    return `${e.id} ${e.event}${data.step ? ` ${data.step} ${data.status}` : ''}${e.event === 'end' ? ` ${data.status}` : ''}`;
  });

describe('a job’s events', () => {
  it('are told live in order, undo after the failure, and end with the whole record', async () => {
    const { store, job, watch, watchers, run } = failingJob();
    const live = collect(followJob({ store, watch }, job.id, undefined, new AbortController().signal));
    await run();
    const events = await live;
    expect(summary(events)).toEqual([
      '0 queued',
      '1 started',
      '2 step folder running',
      '3 step folder done',
      '4 step start running',
      '5 step start done',
      '6 step health running',
      '7 step health failed',
      '9 step start undone',
      '10 step folder undone',
      '11 end rolled_back',
    ]);
    const end = events.at(-1)!.data as { status: string; error: string; steps: { status: string }[] };
    expect(end.error).toContain('no answer on port 4100');
    expect(end.steps.map((s) => s.status)).toEqual(['undone', 'undone', 'failed']);
    // The client is gone: nothing keeps watching the job.
    expect(watchers.size).toBe(0);
  });

  it('resume after Last-Event-ID with what the client missed, even once the job has ended', async () => {
    const { store, job, watch, run } = failingJob();
    await run();
    const resumed = await collect(followJob({ store, watch }, job.id, '5', new AbortController().signal));
    expect(summary(resumed)).toEqual([
      '6 step health running',
      '7 step health failed',
      '9 step start undone',
      '10 step folder undone',
      '11 end rolled_back',
    ]);
    // A garbage id is read as no id: everything from the start.
    const all = await collect(followJob({ store, watch }, job.id, '../../etc', new AbortController().signal));
    expect(all[0]?.event).toBe('queued');
  });

  it('stop when the client leaves, while the job still runs', async () => {
    const { store, job, watch, watchers } = failingJob();
    const leave = new AbortController();
    const seen: StreamEvent[] = [];
    const following = (async () => {
      for await (const e of followJob({ store, watch }, job.id, undefined, leave.signal)) {
        seen.push(e);
        leave.abort();
      }
    })();
    await following;
    expect(summary(seen)).toEqual(['0 queued']);
    expect(watchers.size).toBe(0);
  });
});
