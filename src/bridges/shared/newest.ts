import { RateLimitedError } from '../../core/runtime/errors.js';
import type { Logger } from '../../core/runtime/logging.js';

/**
 * Sends only the newest of a stream of states, one call at a time: states set while a call runs replace
 * each other, so a slow platform gets fewer, fuller updates instead of a backlog. A 429 is tried again
 * with the newest state (the pacer holds it back until retry_after has passed); any other failure ends
 * the updates, since the stream's final message is sent its own way anyway.
 */
export function createNewestSender<T>(opts: {
  send: (state: T) => Promise<void>;
  log: Logger;
  /** What is being updated, for the log. */
  what: string;
}) {
  let pending: { state: T } | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const drain = async (): Promise<void> => {
    while (pending && !stopped) {
      const { state } = pending;
      pending = undefined;
      try {
        await opts.send(state);
      } catch (err) {
        if (err instanceof RateLimitedError) {
          pending ??= { state };
          continue;
        }
        stopped = true;
        opts.log.warn({ err }, `could not update ${opts.what}; the final message will hold everything`);
      }
    }
  };

  return {
    set(state: T): void {
      if (stopped) return;
      pending = { state };
      running ??= drain().finally(() => (running = undefined));
    },
    /** Sends nothing more; resolves once the call in flight has ended. */
    async stop(): Promise<void> {
      stopped = true;
      pending = undefined;
      await running;
    },
  };
}
