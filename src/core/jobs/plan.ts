import type { Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/logging.js';

export type StepOutput = Record<string, unknown>;

export type StepContext = {
  jobId: number;
  signal: AbortSignal;
  clock: Clock;
  log: Logger;
  /** Outputs of the steps that finished before this one, by step key. */
  outputs: Readonly<Record<string, StepOutput>>;
  /** What this step recorded in an earlier run that a restart cut short; empty on a first run. */
  earlier: Readonly<StepOutput>;
  /**
   * Persists what the step has created so far, before it finishes (e.g. a server id before waiting for
   * boot), so a failure or crash mid-step still knows what to clean up.
   */
  record(partial: StepOutput): void;
};

export type Step = {
  key: string;
  title: string;
  /** Keys of steps that must finish first; defaults to the previous step (a plain sequence). */
  needs?: string[];
  timeoutMs?: number;
  /**
   * Safe to run again from the start after fleetbot was killed in the middle of it (it looks up what
   * exists before creating anything). A job whose remaining steps are all rerunnable resumes after a
   * restart; otherwise it is rolled back.
   */
  rerunnable?: boolean;
  run(ctx: StepContext): Promise<StepOutput | void>;
  /** Reverses what run created; given whatever the step recorded or returned. */
  undo?(ctx: StepContext, output: StepOutput): Promise<void>;
};

export type Plan = Step[];
