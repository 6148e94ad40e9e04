import { bold, code, message } from '../chat/outbound.js';
import type { Job } from '../store/jobs.js';
import type { StepRecord } from '../store/steps.js';
import type { Outbound, Span } from '../chat/types.js';

type Lines = (string | Span)[][];

/** How a job presents itself on its card; supplied by whoever submits the job. */
export type JobWording = {
  /** e.g. "Deploy alice (swe, local)" */
  title: string;
  /** Lines shown under the checklist once the job succeeded (URL, next commands); read when shown. */
  onSuccess?: () => Lines;
  /** What to do after a rollback, e.g. "Fix the cause and run /deploy swe alice again." */
  retryHint: string;
  /** Shown under the title, e.g. that the job was taken up again after a restart. */
  note?: string;
  /** What to do when cleanup failed or the job was interrupted, e.g. "/destroy alice removes what it created." */
  cleanupHint: (string | Span)[];
};

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

const headline: Record<Job['status'], string> = {
  queued: '⏳ Queued',
  running: '🚀 Running',
  paused: '⏸ Paused',
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
      // A step that failed after making something is cleaned up too; its failure stays on the card.
      return step.error
        ? [`❌ ${step.title}: `, code(step.error), ' (cleaned up)']
        : [`↩️ ${step.title}: cleaned up`];
    case 'undo_failed':
      return [`⚠️ ${step.title}: cleanup failed: `, code(step.error ?? 'unknown error')];
    case 'skipped':
      return [`◻️ ${step.title}: skipped`];
  }
}

/** The job's card: a checklist of its steps, then what happened and what to do next. */
export function renderJobCard(job: Job, steps: StepRecord[], wording: JobWording, now: number): Outbound {
  const total = job.startedAt === null ? '' : ` · ${seconds((job.finishedAt ?? now) - job.startedAt)}`;
  const lines: Lines = [
    [bold(`${headline[job.status]}: ${wording.title}`), ` · job #${job.id}${total}`],
    ...(wording.note ? [[wording.note]] : []),
    ...steps.map((s) => stepLine(s, now)),
  ];
  switch (job.status) {
    case 'succeeded':
      lines.push(...(wording.onSuccess?.() ?? []));
      break;
    case 'rolled_back':
      lines.push(['Everything this job created was removed. ', wording.retryHint]);
      break;
    case 'failed':
      // A failure no step shows (the job could not be taken up after a restart) is said in words.
      if (job.error && !steps.some((s) => s.error)) lines.push([job.error]);
      lines.push([
        'Some of what it created could not be removed; it is still recorded. ',
        ...wording.cleanupHint,
      ]);
      break;
    case 'paused':
      lines.push(['Paused while fleetbot restarts; it carries on when fleetbot is back.']);
      break;
    case 'interrupted':
      lines.push(['fleetbot restarted during this job. ', ...wording.cleanupHint]);
      break;
    case 'cancelled':
      lines.push(['Cancelled; anything it had created was removed.']);
      break;
    case 'queued':
      lines.push(['Waiting for a free slot. ', code(`/cancel ${job.id}`), ' to drop it.']);
      break;
    case 'running':
      break;
  }
  return message(...lines);
}
