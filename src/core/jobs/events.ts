import { jobEnded, jobRecord, type JobRecord } from '../api/records.js';
import type { StreamEvent } from '../router/command.js';
import type { Store } from '../store/index.js';

type JobStore = Pick<Store, 'jobs' | 'steps' | 'agents'>;

/** The job as programs see it now, with its steps and agent. */
export function currentJobRecord(store: JobStore, jobId: number): JobRecord | undefined {
  const job = store.jobs.byId(jobId);
  if (!job) return undefined;
  const agent = job.agentId === null ? undefined : store.agents.byId(job.agentId);
  return jobRecord(job, store.steps.forJob(jobId), agent);
}

/**
 * The events a job has had so far, read from its stored record, so they are the same after a restart
 * of fleetbot and a reconnecting client can resume by id. Ids follow the plan: `queued` 0, `started` 1,
 * each step's start and end 2 + 2i and 3 + 2i, the undoing of steps after all of them (in the reverse
 * order it runs), and the job's end last, carrying the whole record.
 */
export function jobEventsSoFar(record: JobRecord): StreamEvent[] {
  const steps = record.steps;
  const n = steps.length;
  const events: { id: number; event: string; data: unknown }[] = [
    { id: 0, event: 'queued', data: { job: record.id, at: record.createdAt } },
  ];
  if (record.startedAt)
    events.push({ id: 1, event: 'started', data: { job: record.id, at: record.startedAt } });
  steps.forEach((s, i) => {
    const step = { job: record.id, step: s.key, title: s.title };
    if (s.startedAt !== null)
      events.push({ id: 2 + 2 * i, event: 'step', data: { ...step, status: 'running', at: s.startedAt } });
    const outcome =
      s.status === 'done' || s.status === 'failed' || s.status === 'skipped'
        ? s.status
        : s.status === 'undoing' || s.status === 'undone' || s.status === 'undo_failed'
          ? 'done'
          : undefined;
    if (outcome) {
      events.push({
        id: 3 + 2 * i,
        event: 'step',
        data: { ...step, status: outcome, at: s.finishedAt, ...(s.error ? { error: s.error } : {}) },
      });
    }
    if (s.status === 'undone' || s.status === 'undo_failed') {
      events.push({
        id: 2 + 2 * n + (n - 1 - i),
        event: 'step',
        data: { ...step, status: s.status, ...(s.error ? { error: s.error } : {}) },
      });
    }
  });
  if (jobEnded(record.status)) events.push({ id: 2 + 3 * n, event: 'end', data: record });
  return events.sort((a, b) => a.id - b.id).map((e) => ({ ...e, id: String(e.id) }));
}

/**
 * A job's events as they happen: those after `after` (a Last-Event-ID) at once, then each new one as
 * the job changes, ending with `end`. Ends early, quietly, when the signal aborts (the client left).
 */
export async function* followJob(
  deps: { store: JobStore; watch: (jobId: number, onChange: () => void) => () => void },
  jobId: number,
  after: string | undefined,
  signal: AbortSignal,
): AsyncGenerator<StreamEvent> {
  const afterId = after !== undefined && /^\d{1,6}$/.test(after) ? Number(after) : -1;
  const sent = new Set<string>();
  let wake: (() => void) | undefined;
  let changed = true;
  const unwatch = deps.watch(jobId, () => {
    changed = true;
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    while (!signal.aborted) {
      if (!changed) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      changed = false;
      const record = currentJobRecord(deps.store, jobId);
      if (!record) return;
      for (const event of jobEventsSoFar(record)) {
        if (Number(event.id) <= afterId || sent.has(event.id!)) continue;
        sent.add(event.id!);
        yield event;
        if (event.event === 'end' || signal.aborted) return;
      }
      // A job that ended before the client asked, and whose end it has already seen, has nothing more.
      if (jobEnded(record.status)) return;
    }
  } finally {
    unwatch();
    signal.removeEventListener('abort', onAbort);
  }
}
