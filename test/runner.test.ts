import { describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/runtime/clock.js';
import type { Plan, Step } from '../src/core/jobs/plan.js';
import { runPlan } from '../src/core/jobs/runner.js';
import { openStore } from '../src/core/store/index.js';
import { silentLog } from './support/env.js';
import { manualClock } from './support/manualClock.js';

function harness(clock = systemClock) {
  const store = openStore(':memory:', clock);
  const agent = store.agents.create({
    name: 'alice',
    role: 'swe',
    provider: 'local',
    owner: 'console:local',
  });
  const job = store.jobs.create({
    kind: 'deploy',
    subject: 'alice',
    agentId: agent.id,
    requester: 'console:local',
    chat: { platform: 'console', chatId: 'local' },
  });
  const events: string[] = [];
  /** Stores the plan's steps for the job, as submitting it does. */
  const storeSteps = (plan: Plan) =>
    store.steps.createAll(
      job.id,
      plan.map((s) => ({ key: s.key, title: s.title })),
    );
  /** Runs the plan over whatever the store already holds for the job (a job taken up again). */
  const again = (plan: Plan, extra: Partial<Parameters<typeof runPlan>[0]> = {}) =>
    runPlan({
      jobId: job.id,
      plan,
      steps: store.steps,
      clock,
      log: silentLog,
      signal: new AbortController().signal,
      onChange: () => undefined,
      ...extra,
    });
  const run = (plan: Plan, signal = new AbortController().signal) => {
    storeSteps(plan);
    return again(plan, { signal });
  };
  const step = (key: string, extra: Partial<Step> = {}): Step => ({
    key,
    title: `Step ${key}`,
    run: async () => {
      events.push(`run ${key}`);
      return { [key]: `${key}-id` };
    },
    undo: async (_ctx, output) => {
      events.push(`undo ${key} ${JSON.stringify(output)}`);
    },
    ...extra,
  });
  return {
    store,
    job,
    events,
    run,
    again,
    stepsOf: storeSteps,
    step,
    statuses: () => store.steps.forJob(job.id).map((s) => `${s.key}:${s.status}`),
  };
}

describe('job runner', () => {
  it('persists each step before the next starts and merges outputs', async () => {
    const h = harness();
    const seen: string[][] = [];
    const outcome = await h.run([
      h.step('a'),
      h.step('b', {
        run: async (ctx) => {
          seen.push(h.statuses());
          expect(ctx.outputs.a).toEqual({ a: 'a-id' });
          expect(h.store.steps.forJob(h.job.id)[0]!.output).toEqual({ a: 'a-id' });
          return { b: 2 };
        },
      }),
    ]);
    expect(outcome).toEqual({ status: 'succeeded', outputs: { a: { a: 'a-id' }, b: { b: 2 } } });
    expect(seen).toEqual([['a:done', 'b:running']]);
    expect(h.statuses()).toEqual(['a:done', 'b:done']);
    const [a] = h.store.steps.forJob(h.job.id);
    expect(a!.startedAt).not.toBeNull();
    expect(a!.finishedAt).not.toBeNull();
  });

  it('undoes completed steps in reverse when a step fails, and says what failed', async () => {
    const h = harness();
    const outcome = await h.run([
      h.step('a'),
      h.step('b'),
      h.step('c', {
        run: async (ctx) => {
          ctx.record({ half: 'made' });
          throw new Error('disk full');
        },
      }),
      h.step('d'),
    ]);
    expect(outcome.status).toBe('rolled_back');
    expect(outcome.error).toBe('Step c: disk full');
    // The failing step had recorded something, so it is cleaned up first, then b, then a.
    expect(h.events).toEqual([
      'run a',
      'run b',
      'undo c {"half":"made"}',
      'undo b {"b":"b-id"}',
      'undo a {"a":"a-id"}',
    ]);
    expect(h.statuses()).toEqual(['a:undone', 'b:undone', 'c:undone', 'd:skipped']);
    expect(h.store.steps.forJob(h.job.id)[2]!.error).toBe('disk full');
  });

  it('reports a failed cleanup as failed, keeping what could not be removed on record', async () => {
    const h = harness();
    const outcome = await h.run([
      h.step('a', {
        undo: async () => {
          throw new Error('server still exists');
        },
      }),
      h.step('b', { run: () => Promise.reject(new Error('boom')) }),
    ]);
    expect(outcome).toMatchObject({
      status: 'failed',
      error: 'Step b: boom; cleanup failed: Step a: server still exists',
    });
    expect(h.statuses()).toEqual(['a:undo_failed', 'b:failed']);
  });

  it('runs independent steps together', async () => {
    const h = harness();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let concurrent = 0;
    let peak = 0;
    const slow = (key: string): Step =>
      h.step(key, {
        needs: ['a'],
        run: async () => {
          peak = Math.max(peak, ++concurrent);
          if (peak === 2) release();
          await gate;
          concurrent--;
          return { [key]: true };
        },
      });
    const outcome = await h.run([
      h.step('a'),
      slow('vm'),
      slow('dns'),
      h.step('after', { needs: ['vm', 'dns'] }),
    ]);
    expect(outcome.status).toBe('succeeded');
    expect(peak).toBe(2);
  });

  it('fails a step that outlives its timeout, on the injected clock', async () => {
    const clock = manualClock();
    const h = harness(clock);
    const running = h.run([
      h.step('a'),
      h.step('wait', {
        timeoutMs: 5_000,
        run: (ctx) =>
          new Promise((_, reject) =>
            ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))),
          ),
      }),
    ]);
    await clock.advance(5_000);
    const outcome = await running;
    expect(outcome).toMatchObject({
      status: 'rolled_back',
      error: 'Step wait: Step wait did not finish within 5 s',
    });
    expect(h.events).toContain('undo a {"a":"a-id"}');
  });

  it('cancels: the running step is aborted and earlier steps are undone', async () => {
    const h = harness();
    const controller = new AbortController();
    const outcome = h.run(
      [
        h.step('a'),
        h.step('b', {
          run: (ctx) => {
            setTimeout(() => controller.abort(new Error('cancelled')), 5);
            return new Promise((_, reject) =>
              ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))),
            );
          },
        }),
        h.step('c'),
      ],
      controller.signal,
    );
    expect(await outcome).toMatchObject({ status: 'cancelled' });
    expect(h.statuses()).toEqual(['a:undone', 'b:failed', 'c:skipped']);
  });

  it('takes a job up after a restart: finished steps are not run again, their outputs are reused', async () => {
    const h = harness();
    const plan = [h.step('a'), h.step('b', { run: async (ctx) => ({ sawA: ctx.outputs.a }) }), h.step('c')];
    h.stepsOf(plan);
    h.store.steps.mark(h.job.id, 0, 'running');
    h.store.steps.mark(h.job.id, 0, 'done', { output: { a: 'from-before' } });
    h.store.steps.mark(h.job.id, 1, 'running', { output: { half: 1 } });
    const outcome = await h.again(plan);
    expect(outcome).toMatchObject({
      status: 'succeeded',
      outputs: { a: { a: 'from-before' }, b: { half: 1, sawA: { a: 'from-before' } } },
    });
    expect(h.events).toEqual(['run c']);
    expect(h.statuses()).toEqual(['a:done', 'b:done', 'c:done']);
  });

  it('rolls back from the record alone, undoing a step that was cut off midway too', async () => {
    const h = harness();
    const plan = [h.step('a'), h.step('b'), h.step('c')];
    h.stepsOf(plan);
    h.store.steps.mark(h.job.id, 0, 'done', { output: { a: 'server-1' } });
    h.store.steps.mark(h.job.id, 1, 'running', { output: { b: 'record-7' } });
    const outcome = await h.again(plan, { rollback: 'restarted mid-step' });
    expect(outcome).toMatchObject({ status: 'rolled_back', error: 'restarted mid-step' });
    expect(h.events).toEqual(['undo b {"b":"record-7"}', 'undo a {"a":"server-1"}']);
    expect(h.statuses()).toEqual(['a:undone', 'b:undone', 'c:skipped']);
  });

  it('carries on a rollback a restart cut short: undone steps stay undone, the failed one stays failed', async () => {
    const h = harness();
    const plan = [h.step('a'), h.step('b'), h.step('c'), h.step('d')];
    h.stepsOf(plan);
    h.store.steps.mark(h.job.id, 0, 'done', { output: { a: 'server-1' } });
    h.store.steps.mark(h.job.id, 1, 'done', { output: { b: 'files' } });
    h.store.steps.mark(h.job.id, 2, 'done', { output: { c: 'unit' } });
    h.store.steps.mark(h.job.id, 3, 'failed', { error: 'caddy would not start' });
    h.store.steps.mark(h.job.id, 2, 'undone');
    h.store.steps.mark(h.job.id, 1, 'undoing');
    const outcome = await h.again(plan, { rollback: 'Step d: caddy would not start' });
    expect(outcome).toMatchObject({ status: 'rolled_back', error: 'Step d: caddy would not start' });
    expect(h.events).toEqual(['undo b {"b":"files"}', 'undo a {"a":"server-1"}']);
    expect(h.statuses()).toEqual(['a:undone', 'b:undone', 'c:undone', 'd:failed']);
  });

  it('gives a step rerun after a restart what it recorded before it was cut off', async () => {
    const h = harness();
    const seen: unknown[] = [];
    const plan = [h.step('a', { run: async (ctx) => void seen.push(ctx.earlier) }), h.step('b')];
    h.stepsOf(plan);
    h.store.steps.mark(h.job.id, 0, 'running', { output: { hostKey: 'ssh-ed25519 AAAA' } });
    await h.again(plan);
    expect(seen).toEqual([{ hostKey: 'ssh-ed25519 AAAA' }]);
    await harness().run([h.step('c', { run: async (ctx) => void seen.push(ctx.earlier) })]);
    expect(seen.at(-1)).toEqual({});
  });

  it('pauses at a step boundary when asked, leaving the rest for later', async () => {
    const h = harness();
    const pause = new AbortController();
    const plan = [h.step('a', { run: async () => (pause.abort(), { a: 1 }) }), h.step('b')];
    h.stepsOf(plan);
    const outcome = await h.again(plan, { pause: pause.signal });
    expect(outcome.status).toBe('paused');
    expect(h.statuses()).toEqual(['a:done', 'b:waiting']);
  });

  it('refuses a plan whose dependencies are wrong', async () => {
    const h = harness();
    await expect(h.run([h.step('a', { needs: ['z'] })])).rejects.toThrow(
      'step a needs unknown or later step z',
    );
  });
});
