import type { Clock } from '../runtime/clock.js';
import { errorMessage } from '../runtime/errors.js';
import type { Logger } from '../runtime/logging.js';
import type { StepsRepo } from '../store/steps.js';
import type { Plan, Step, StepContext, StepOutput } from './plan.js';

export type RunOutcome = {
  /** `paused`: stopped at a step boundary for a restart; the job continues when fleetbot is back. */
  status: 'succeeded' | 'rolled_back' | 'failed' | 'cancelled' | 'paused';
  /** The failure as a person should read it; absent on success. */
  error?: string;
  outputs: Record<string, StepOutput>;
};

const defaultStepTimeoutMs = 10 * 60_000;

/** Steps in the order the plan gives, each with the keys it waits for. */
function withNeeds(plan: Plan): (Step & { needs: string[] })[] {
  const keys = new Set<string>();
  return plan.map((step, i) => {
    if (keys.has(step.key)) throw new Error(`plan has two steps named ${step.key}`);
    const needs = step.needs ?? (i > 0 ? [plan[i - 1]!.key] : []);
    for (const need of needs)
      if (!keys.has(need)) throw new Error(`step ${step.key} needs unknown or later step ${need}`);
    keys.add(step.key);
    return { ...step, needs };
  });
}

/**
 * Runs a plan whose steps were already stored for the job: independent steps run together, every start
 * and finish is written before the next step starts, and on failure or cancel the steps that created
 * something are undone in reverse order of completion.
 *
 * Steps the store already shows done (a job resumed after a restart) are not run again; their outputs
 * come from the store. `rollback` undoes what the store shows was created, without running anything.
 * When `pause` fires, no further step starts and the run ends `paused` once the running ones finish.
 */
export async function runPlan(opts: {
  jobId: number;
  plan: Plan;
  steps: StepsRepo;
  clock: Clock;
  log: Logger;
  signal: AbortSignal;
  pause?: AbortSignal;
  rollback?: string;
  onChange: () => void;
}): Promise<RunOutcome> {
  const { jobId, steps: repo, clock, log, onChange } = opts;
  const plan = withNeeds(opts.plan);
  const outputs: Record<string, StepOutput> = {};
  const recorded = new Map<number, StepOutput>();
  const finishedOrder: number[] = [];
  const failFast = new AbortController();
  const signal = AbortSignal.any([opts.signal, failFast.signal]);
  let failure: string | undefined = opts.rollback;
  const done = new Set<string>();
  const started = new Set<number>();

  // What an earlier run of this job left on record. A rollback that a restart cut short carries on:
  // steps already undone are not undone again, and failed or undone ones keep their status.
  const previous = repo.forJob(jobId);
  for (const record of [...previous].sort(
    (a, b) => (a.finishedAt ?? Infinity) - (b.finishedAt ?? Infinity),
  )) {
    const step = plan[record.idx];
    if (!step) continue;
    if (opts.rollback && record.status !== 'waiting' && record.status !== 'running') started.add(record.idx);
    if (!record.output) continue;
    recorded.set(record.idx, record.output);
    if (record.status === 'done') {
      outputs[step.key] = record.output;
      done.add(step.key);
      started.add(record.idx);
    }
    if (record.status === 'done' || (opts.rollback && record.status !== 'undone'))
      finishedOrder.push(record.idx);
  }

  const contextFor = (idx: number, stepSignal: AbortSignal): StepContext => ({
    jobId,
    signal: stepSignal,
    clock,
    log: log.child({ step: plan[idx]!.key }),
    outputs,
    earlier: recorded.get(idx) ?? {},
    record(partial) {
      const merged = { ...recorded.get(idx), ...partial };
      recorded.set(idx, merged);
      repo.mark(jobId, idx, 'running', { output: merged });
    },
  });

  const runStep = async (idx: number): Promise<void> => {
    const step = plan[idx]!;
    repo.mark(jobId, idx, 'running');
    onChange();
    const timeout = new AbortController();
    const timeoutMs = step.timeoutMs ?? defaultStepTimeoutMs;
    const timer = clock.setTimeout(
      () => timeout.abort(new Error(`${step.title} did not finish within ${Math.round(timeoutMs / 1000)} s`)),
      timeoutMs,
    );
    try {
      const result = await step.run(contextFor(idx, AbortSignal.any([signal, timeout.signal])));
      const output = { ...recorded.get(idx), ...(result ?? {}) };
      recorded.set(idx, output);
      outputs[step.key] = output;
      repo.mark(jobId, idx, 'done', { output });
      finishedOrder.push(idx);
    } catch (err) {
      const reason = timeout.signal.aborted ? errorMessage(timeout.signal.reason) : errorMessage(err);
      const cancelled = opts.signal.aborted;
      repo.mark(jobId, idx, 'failed', { error: cancelled ? 'cancelled' : reason });
      if (recorded.has(idx)) finishedOrder.push(idx);
      if (!failure) failure = cancelled ? 'cancelled' : `${step.title}: ${reason}`;
      failFast.abort(new Error('another step failed'));
    } finally {
      clock.clearTimeout(timer);
      onChange();
    }
  };

  const running = new Map<number, Promise<void>>();
  while (!failure && !opts.signal.aborted && !opts.pause?.aborted) {
    plan.forEach((step, idx) => {
      if (started.has(idx) || !step.needs.every((k) => done.has(k))) return;
      started.add(idx);
      running.set(
        idx,
        runStep(idx).then(() => {
          running.delete(idx);
          if (outputs[step.key]) done.add(step.key);
        }),
      );
    });
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  await Promise.all(running.values());
  if (!failure && opts.signal.aborted) failure = 'cancelled';
  if (!failure && opts.pause?.aborted && plan.some((step) => !done.has(step.key)))
    return { status: 'paused', outputs };

  if (!failure) return { status: 'succeeded', outputs };

  plan.forEach((step, idx) => {
    if (!started.has(idx)) repo.mark(jobId, idx, 'skipped');
  });
  const undoFailures = await undoInReverse(finishedOrder);
  onChange();
  const cancelled = opts.signal.aborted && failure === 'cancelled';
  if (undoFailures.length > 0) {
    return { status: 'failed', error: `${failure}; cleanup failed: ${undoFailures.join('; ')}`, outputs };
  }
  return cancelled
    ? { status: 'cancelled', error: 'cancelled', outputs }
    : { status: 'rolled_back', error: failure, outputs };

  async function undoInReverse(order: number[]): Promise<string[]> {
    const problems: string[] = [];
    const undoSignal = new AbortController().signal;
    for (const idx of [...order].reverse()) {
      const step = plan[idx]!;
      if (!step.undo) continue;
      repo.mark(jobId, idx, 'undoing');
      onChange();
      try {
        await step.undo(contextFor(idx, undoSignal), recorded.get(idx) ?? {});
        repo.mark(jobId, idx, 'undone');
      } catch (err) {
        log.error({ err, step: step.key }, 'undo failed');
        repo.mark(jobId, idx, 'undo_failed', { error: errorMessage(err) });
        problems.push(`${step.title}: ${errorMessage(err)}`);
      }
      onChange();
    }
    return problems;
  }
}
