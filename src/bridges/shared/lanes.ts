import type { Logger } from '../../core/runtime/logging.js';

/**
 * Runs work in order per key (a chat) without making other keys wait: a person's second command is
 * handled after their first, while other chats go on in parallel. Failures are logged, never thrown.
 */
export function createLanes(log: Logger) {
  const lanes = new Map<string, Promise<void>>();
  return {
    run(key: string, work: () => Promise<void>): void {
      const next = (lanes.get(key) ?? Promise.resolve())
        .then(work)
        .catch((err: unknown) => log.error({ err }, 'inbound handling failed'));
      lanes.set(key, next);
      void next.finally(() => {
        if (lanes.get(key) === next) lanes.delete(key);
      });
    },
    /** Resolves when everything queued so far has finished. */
    idle: async (): Promise<void> => void (await Promise.all(lanes.values())),
  };
}
export type Lanes = ReturnType<typeof createLanes>;
