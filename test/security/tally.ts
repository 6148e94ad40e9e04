import { appendFileSync } from 'node:fs';
import { expect, inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    securityTallyFile: string;
  }
}

/**
 * Records one attack a hostile agent, chat member or stranger tried, and fails the test if it got
 * through. `succeeded` must be decided from the state the attack left (a file read, a row written, a
 * message delivered), never from the absence of an error. Test files run in separate processes, so
 * each attempt is one appended line that the suite's global setup totals at the end.
 */
export function attempted(attack: string, succeeded: boolean): void {
  appendFileSync(
    inject('securityTallyFile'),
    `${succeeded ? 'succeeded' : 'blocked'} ${attack.replace(/\s+/g, ' ')}\n`,
  );
  expect(succeeded, `attack succeeded: ${attack}`).toBe(false);
}
