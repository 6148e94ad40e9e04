import { appendFileSync } from 'node:fs';
import { inject } from 'vitest';

/** What the fault suite counts; its summary line reports each and fails the run when anything leaked. */
export const tallies = ['kills', 'faults', 'inputs', 'leaked'] as const;
export type Tally = (typeof tallies)[number];

declare module 'vitest' {
  export interface ProvidedContext {
    faultTallyFile: string;
  }
}

/**
 * Adds `n` to a tally. Test files run in separate processes, so counts go to one file the global
 * setup reads at the end; a short append is atomic, so concurrent files do not interleave.
 */
export function count(tally: Tally, n = 1): void {
  appendFileSync(inject('faultTallyFile'), `${tally} ${n}\n`);
}
