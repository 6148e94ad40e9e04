import type { ChildProcess } from 'node:child_process';

/** Undo actions, run last-first; each one is attempted even when an earlier one failed. */
export function undoList() {
  const undo: (() => void | Promise<void>)[] = [];
  return {
    add: (fn: () => void | Promise<void>) => void undo.push(fn),
    async run(): Promise<void> {
      for (const fn of undo.splice(0).reverse()) {
        try {
          await fn();
        } catch {
          // Keep tearing down: one leftover must not keep the others alive.
        }
      }
    },
  };
}

/** Stops a child a test started: SIGTERM, then SIGKILL if it has not gone within 20 s. */
export const stopChild = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => (clearTimeout(kill), resolve()));
    child.kill('SIGTERM');
  });

export type UndoList = ReturnType<typeof undoList>;
