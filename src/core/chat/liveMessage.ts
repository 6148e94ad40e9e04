import type { Clock } from '../runtime/clock.js';
import { RateLimitedError } from '../runtime/errors.js';
import type { Logger } from '../runtime/logging.js';
import type { Messenger } from './messenger.js';
import {
  ChatUnreachableError,
  MessageGoneError,
  type ChatRef,
  type MessageRef,
  type Outbound,
  type SendOptions,
} from './types.js';

/**
 * One chat message kept up to date: the first update sends it, later ones edit it. Edits are coalesced
 * to at most one per minEditIntervalMs (only the newest state is ever sent), a rate-limit reply delays
 * the next attempt, and a message that can no longer be edited is replaced by a new one.
 */
export type LiveMessage = {
  update(message: Outbound): void;
  /** Resolves once the newest state has been delivered (or delivery was given up). */
  flush(): Promise<void>;
  readonly ref: MessageRef | undefined;
  /** The chat shows the newest state: nothing waits to be sent and nothing was given up on. */
  readonly delivered: boolean;
};

export function createLiveMessage(opts: {
  messenger: Messenger;
  chat: ChatRef;
  clock: Clock;
  log: Logger;
  existing?: MessageRef;
  onMoved?: (ref: MessageRef) => void;
  /** How the message is sent (a reply, silently); edits keep it as it is. */
  sendOptions?: SendOptions;
}): LiveMessage {
  const { messenger, clock, log } = opts;
  // A program's chat (platform api) has no bridge: the card's first send is refused as unreachable.
  const minInterval = messenger.runs(opts.chat.platform)
    ? messenger.limits(opts.chat.platform).minEditIntervalMs
    : 0;
  let ref = opts.existing;
  let pending: Outbound | undefined;
  let lastSentAt = -Infinity;
  let notBefore = -Infinity;
  let timer: unknown;
  let waitingTurn = false;
  let inFlight: Promise<void> | undefined;
  let waiters: (() => void)[] = [];
  let failures = 0;
  let gaveUp = false;

  const settleWaiters = (): void => {
    if (pending || inFlight) return;
    const done = waiters;
    waiters = [];
    done.forEach((resolve) => resolve());
  };

  const deliver = async (message: Outbound): Promise<void> => {
    if (!ref) {
      ref = await messenger.send(opts.chat, message, opts.sendOptions);
      opts.onMoved?.(ref);
      return;
    }
    try {
      await messenger.edit(ref, message);
    } catch (err) {
      if (!(err instanceof MessageGoneError)) throw err;
      ref = await messenger.send(opts.chat, message, opts.sendOptions);
      opts.onMoved?.(ref);
    }
  };

  const schedule = (): void => {
    if (inFlight || timer !== undefined || waitingTurn || !pending) return;
    const wait = Math.max(lastSentAt + minInterval, notBefore) - clock.now();
    if (wait > 0) {
      timer = clock.setTimeout(() => {
        timer = undefined;
        schedule();
      }, wait);
      return;
    }
    // Changes made in one turn (a step ends and the next starts; the last step ends and so does the
    // job) go out as one edit, instead of the second waiting out the edit interval behind the first.
    waitingTurn = true;
    setImmediate(() => {
      waitingTurn = false;
      send();
    });
  };

  const send = (): void => {
    if (!pending) return;
    const message = pending;
    pending = undefined;
    lastSentAt = clock.now();
    inFlight = deliver(message)
      .then(() => {
        failures = 0;
        gaveUp = false;
      })
      .catch((err: unknown) => {
        failures += 1;
        if (!pending) pending = message;
        if (err instanceof ChatUnreachableError) {
          pending = undefined;
          gaveUp = true;
        } else if (err instanceof RateLimitedError) {
          notBefore = clock.now() + err.retryAfterMs;
        } else {
          notBefore = clock.now() + Math.min(30_000, 1000 * 2 ** failures);
          log.warn({ err, chat: opts.chat, failures }, 'could not update a chat message; will retry');
        }
        // Give up on a message that keeps failing so shutdown and tests are never held hostage.
        if (failures >= 6) {
          pending = undefined;
          gaveUp = true;
        }
      })
      .finally(() => {
        inFlight = undefined;
        schedule();
        settleWaiters();
      });
  };

  return {
    update(message) {
      pending = message;
      schedule();
    },
    flush() {
      if (!pending && !inFlight) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    get ref() {
      return ref;
    },
    get delivered() {
      return !pending && !inFlight && !gaveUp;
    },
  };
}
