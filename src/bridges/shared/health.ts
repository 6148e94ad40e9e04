export type Health = { ok: boolean; detail: string };

/**
 * A bridge's /healthz answer: once it has given up (a refused token, a connection that stays down) it
 * reports that reason for good; until then its transport says how it is doing.
 */
export function createHealth(onFatal: (err: Error) => void) {
  let fatal: string | undefined;
  return {
    /** The bridge cannot go on: remembered for health, and the process is told so it can exit. */
    fail: (err: Error): void => {
      fatal = err.message;
      onFatal(err);
    },
    report: (transport: () => Health): Health => (fatal ? { ok: false, detail: fatal } : transport()),
  };
}
