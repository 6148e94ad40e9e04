import type { StepRecord } from '../store/steps.js';
import type { Plan } from './plan.js';

/**
 * Why a job a previous process left unfinished must be rolled back rather than resumed: it was already
 * rolling back (a step failed, or undoing had begun), or a step it stopped in is not safe to repeat.
 * Undefined when it can carry on after its last finished step. A step that had not started yet holds
 * no half-done work, so it runs as it would have, whether or not it is safe to repeat.
 */
export function rollbackReason(plan: Plan, records: StepRecord[]): string | undefined {
  const failed = records.find((r) => r.status === 'failed');
  if (failed) return `${failed.title}: ${failed.error ?? 'failed'}`;
  const unsafe = 'fleetbot restarted in the middle of a step that is not safe to repeat';
  if (records.some((r) => ['undoing', 'undone', 'undo_failed', 'skipped'].includes(r.status))) return unsafe;
  // Finished, or not begun: nothing half-done to repeat.
  const whole = (i: number): boolean => records[i]?.status === 'done' || records[i]?.status === 'waiting';
  return plan.every((step, i) => whole(i) || step.rerunnable === true) ? undefined : unsafe;
}
