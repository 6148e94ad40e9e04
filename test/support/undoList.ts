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

export type UndoList = ReturnType<typeof undoList>;
