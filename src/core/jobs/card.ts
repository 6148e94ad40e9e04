import { bold, code, message } from '../outbound.js';
import type { Agent } from '../store/agents.js';
import type { Job } from '../store/jobs.js';
import type { StepRecord } from '../store/steps.js';
import type { Outbound, Span } from '../types.js';

/** How a job presents itself on its card; supplied by whoever submits the job. */
export type JobCopy = {
  /** e.g. "Deploy alice (swe)" */
  title: string;
  /** Lines shown under the checklist once the job succeeded (URL, next commands). */
  onSuccess?: (agent: Agent) => (string | Span)[][];
  /** What to do after a failure, e.g. "Fix the cause and run /deploy swe alice again." */
  retryHint: string;
};

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

const headline: Record<Job['status'], string> = {
  queued: '⏳ Queued',
  running: '🚀 Running',
  succeeded: '✅ Done',
  failed: '❌ Failed, cleanup incomplete',
  rolled_back: '❌ Failed, rolled back',
  cancelled: '🚫 Cancelled',
  interrupted: '⚠️ Interrupted',
};

function stepLine(step: StepRecord, now: number): (string | Span)[] {
  const elapsed = step.startedAt === null ? '' : seconds((step.finishedAt ?? now) - step.startedAt);
  switch (step.status) {
    case 'waiting':
      return [`◻️ ${step.title}`];
    case 'running':
      return [`⏳ ${step.title}… ${elapsed}`];
    case 'done':
      return [`✅ ${step.title} · ${elapsed}`];
    case 'failed':
      return [`❌ ${step.title}: `, code(step.error ?? 'failed')];
    case 'undoing':
      return [`↩️ ${step.title}: cleaning up…`];
    case 'undone':
      return [`↩️ ${step.title}: cleaned up`];
    case 'undo_failed':
      return [`⚠️ ${step.title}: cleanup failed: `, code(step.error ?? 'unknown error')];
    case 'skipped':
      return [`◻️ ${step.title}: skipped`];
  }
}

export function renderJobCard(
  job: Job,
  agent: Agent,
  steps: StepRecord[],
  copy: JobCopy,
  now: number,
): Outbound {
  const total = job.startedAt === null ? '' : ` · ${seconds((job.finishedAt ?? now) - job.startedAt)}`;
  const lines: (string | Span)[][] = [
    [bold(`${headline[job.status]}: ${copy.title}`), ` · job #${job.id}${total}`],
    ...steps.map((s) => stepLine(s, now)),
  ];
  if (job.status === 'succeeded' && copy.onSuccess) lines.push(...copy.onSuccess(agent));
  if (job.status === 'rolled_back') {
    lines.push(['Everything this job created was removed. ', copy.retryHint]);
  }
  if (job.status === 'failed') {
    lines.push([
      'Some resources could not be removed; they are still recorded. Check the cleanup errors above, then run ',
      code(`/destroy ${agent.name}`),
      '.',
    ]);
  }
  if (job.status === 'cancelled') lines.push(['Cancelled; anything it had created was removed.']);
  if (job.status === 'interrupted') {
    lines.push([
      'fleetbot restarted during this job. Check ',
      code(`/status ${agent.name}`),
      '; ',
      code(`/destroy ${agent.name}`),
      ' removes whatever it created.',
    ]);
  }
  if (job.status === 'queued')
    lines.push([`Waiting for a free slot. `, code(`/cancel ${job.id}`), ' to drop it.']);
  return message(...lines);
}
