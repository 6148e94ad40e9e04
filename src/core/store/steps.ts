import type { Clock } from '../runtime/clock.js';
import type { Db } from './db.js';

export type StepStatus =
  'waiting' | 'running' | 'done' | 'failed' | 'undoing' | 'undone' | 'undo_failed' | 'skipped';

export type StepRecord = {
  jobId: number;
  idx: number;
  key: string;
  title: string;
  status: StepStatus;
  output: Record<string, unknown> | null;
  error: string | null;
  startedAt: number | null;
  finishedAt: number | null;
};

type Row = {
  job_id: number;
  idx: number;
  key: string;
  title: string;
  status: StepStatus;
  output: string | null;
  error: string | null;
  started_at: number | null;
  finished_at: number | null;
};

const toStep = (r: Row): StepRecord => ({
  jobId: r.job_id,
  idx: r.idx,
  key: r.key,
  title: r.title,
  status: r.status,
  output: r.output === null ? null : (JSON.parse(r.output) as Record<string, unknown>),
  error: r.error,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

export function stepsRepo(db: Db, clock: Clock) {
  return {
    createAll(jobId: number, steps: { key: string; title: string }[]): void {
      const insert = db.prepare(
        "INSERT INTO job_steps (job_id, idx, key, title, status) VALUES (?, ?, ?, ?, 'waiting')",
      );
      db.transaction(() => steps.forEach((s, idx) => insert.run(jobId, idx, s.key, s.title)))();
    },
    forJob(jobId: number): StepRecord[] {
      return db
        .prepare<[number], Row>('SELECT * FROM job_steps WHERE job_id = ? ORDER BY idx')
        .all(jobId)
        .map(toStep);
    },
    /** Moves a step to a new status; timestamps describe the step's run, not its undo. */
    mark(
      jobId: number,
      idx: number,
      status: StepStatus,
      extra: { output?: unknown; error?: string } = {},
    ): void {
      const now = clock.now();
      const starts = status === 'running';
      const ends = status === 'done' || status === 'failed' || status === 'skipped';
      db.prepare(
        `UPDATE job_steps SET status = ?,
           output = COALESCE(?, output), error = COALESCE(?, error),
           started_at = CASE WHEN ? THEN ? ELSE started_at END,
           finished_at = CASE WHEN ? THEN ? ELSE finished_at END
         WHERE job_id = ? AND idx = ?`,
      ).run(
        status,
        extra.output === undefined ? null : JSON.stringify(extra.output),
        extra.error ?? null,
        starts ? 1 : 0,
        now,
        ends ? 1 : 0,
        now,
        jobId,
        idx,
      );
    },
  };
}
export type StepsRepo = ReturnType<typeof stepsRepo>;
