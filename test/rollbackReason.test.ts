import { describe, expect, it } from 'vitest';
import type { Plan } from '../src/core/jobs/plan.js';
import { rollbackReason } from '../src/core/jobs/restart.js';
import type { StepRecord, StepStatus } from '../src/core/store/steps.js';

const plan: Plan = [
  { key: 'server', title: 'Create server', rerunnable: true, run: async () => undefined },
  { key: 'snapshot', title: 'Take snapshot', run: async () => undefined },
  { key: 'caddy', title: 'Start Caddy', rerunnable: true, run: async () => undefined },
];

/** The store's record of the plan's steps with these statuses (and an error on a failed one). */
const records = (...statuses: StepStatus[]): StepRecord[] =>
  statuses.map((status, idx) => ({
    jobId: 1,
    idx,
    key: plan[idx]!.key,
    title: plan[idx]!.title,
    status,
    output: null,
    error: status === 'failed' ? 'exit 1' : null,
    startedAt: null,
    finishedAt: null,
  }));

describe('what a restart does with an unfinished job', () => {
  it('resumes when every step left is safe to repeat', () => {
    expect(rollbackReason(plan, records('done', 'done', 'running'))).toBeUndefined();
  });

  it('resumes when it stopped between steps, even before one that is not safe to repeat', () => {
    expect(rollbackReason(plan, records('done', 'waiting', 'waiting'))).toBeUndefined();
  });

  it('rolls back when it stopped in a step that is not safe to repeat', () => {
    expect(rollbackReason(plan, records('done', 'running', 'waiting'))).toBe(
      'fleetbot restarted in the middle of a step that is not safe to repeat',
    );
  });

  it('carries on a rollback that had begun, naming the failure that started it', () => {
    expect(rollbackReason(plan, records('done', 'done', 'failed'))).toBe('Start Caddy: exit 1');
    expect(rollbackReason(plan, records('undoing', 'undone', 'skipped'))).toBe(
      'fleetbot restarted in the middle of a step that is not safe to repeat',
    );
  });
});
