import type { ProblemKind } from '../core/api/call.js';

/**
 * How a one-shot command ended, for scripts: the `status` of `--json` and the process's exit code. A
 * script branches on the exit code; a request that waits for someone's approval is not success.
 */
export const cliStatuses = {
  ok: { exit: 0, means: 'done; a job it started succeeded' },
  failed: { exit: 1, means: 'the job it started failed, was rolled back, cancelled or interrupted' },
  error: { exit: 1, means: 'fleetbot failed running it (the log has the reference)' },
  invalid: { exit: 2, means: 'the command line or its arguments are wrong (the usage is in the detail)' },
  unknown_command: { exit: 2, means: 'there is no such command' },
  misconfigured: {
    exit: 2,
    means: "fleetbot's settings are wrong (a role file, FLEETBOT_ROLES_DIR): the detail says which",
  },
  refused: { exit: 3, means: 'not allowed, or refused for a reason the detail gives' },
  pending_approval: { exit: 4, means: 'waits for a person to approve its card (a destroy without --yes)' },
  not_found: { exit: 5, means: 'the agent, job or role it names does not exist' },
  conflict: { exit: 6, means: 'busy: the agent has a job running, or the name is taken' },
  unavailable: { exit: 7, means: 'not now: try again later (rate limit, the bot holds the data folder)' },
} as const;
export type CliStatus = keyof typeof cliStatuses;

/** What `--json` prints: the command's record (the same as the HTTP API's), or why it did not run. */
export type CliOutcome = {
  status: CliStatus;
  record: unknown;
  problem?: { kind: ProblemKind; detail: string };
  /** What the command said, for the commands that have no record (`keys create` shows its key here). */
  text?: string;
};

const statusOfProblem: Record<ProblemKind, CliStatus> = {
  unauthenticated: 'refused',
  forbidden: 'refused',
  refused: 'refused',
  invalid: 'invalid',
  not_found: 'not_found',
  conflict: 'conflict',
  rate_limited: 'unavailable',
  unavailable: 'unavailable',
  error: 'error',
};

/** A command that did not run: its status follows the problem's kind, as the HTTP API's status does. */
export const problemOutcome = (kind: ProblemKind, detail: string, status?: CliStatus): CliOutcome => ({
  status: status ?? statusOfProblem[kind],
  record: null,
  problem: { kind, detail },
});

export const exitCodeOf = (outcome: CliOutcome): number => cliStatuses[outcome.status].exit;

/** The statuses and exit codes as `fleetbot --help` lists them. */
export const statusTable = (): string =>
  Object.entries(cliStatuses)
    .map(([status, { exit, means }]) => `  ${String(exit).padEnd(3)} ${status.padEnd(17)} ${means}`)
    .join('\n');
