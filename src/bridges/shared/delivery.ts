import type { Clock } from '../../core/runtime/clock.js';
import { RateLimitedError } from '../../core/runtime/errors.js';
import type { ApiOutcome } from '../../core/runtime/metrics.js';
import type { Logger } from '../../core/runtime/logging.js';
import {
  ChatUnreachableError,
  MessageGoneError,
  type BridgeHost,
  type ChatRef,
} from '../../core/chat/types.js';
import { createPacer, type PaceRule } from './pacer.js';

/** What a failed platform call means; each platform's classifier says which class an error is. */
export type PlatformFailure =
  | { kind: 'rate-limited'; retryAfterMs: number }
  /** The chat has a new id for good (a Telegram group that became a supergroup). */
  | { kind: 'migrated'; toChatId: string }
  /** The topic (thread) is gone; the chat itself still takes messages. */
  | { kind: 'thread-gone' }
  /** The bot was blocked, removed, or is not a member: nothing can be posted there. */
  | { kind: 'unreachable'; reason: string }
  /** The message to edit was deleted or is too old to edit. */
  | { kind: 'message-gone'; reason: string }
  /** The edit would change nothing. */
  | { kind: 'not-modified' }
  /** The platform refused the bot's token. */
  | { kind: 'bad-token'; reason: string }
  /** Another process receives with the same token (Telegram's 409 on polling). */
  | { kind: 'conflict'; reason: string }
  /** The platform could not be reached, or failed on its side (5xx). */
  | { kind: 'network'; reason: string }
  | { kind: 'other'; reason: string };

export type DeliveryOptions = {
  /** The platform's name as a person reads it, for logs and errors. */
  platform: string;
  clock: Clock;
  log: Logger;
  /** Spacing of calls per chat id. */
  pace: (chatId: string) => PaceRule;
  classify: (err: unknown) => PlatformFailure;
  /** The bridge host once the bridge has started, told about migrated and unreachable chats. */
  host: () => BridgeHost | undefined;
  /** Told how every call ended, for metrics. */
  observe?: (method: string, outcome: ApiOutcome) => void;
  /** What a person can do about a chat the bot cannot reach; without it, the platform's reason. */
  hint?: (chat: ChatRef, reason: string) => string;
  /** Another way to tell the person who asked, when their chat cannot be reached. */
  tellPrivately?: (chat: ChatRef, text: string) => Promise<void>;
};

/** Waits out this many 429s on one send before handing the wait to the caller. */
const maxRetries = 3;

/**
 * Chat-bound platform calls, paced per chat, with their failures turned into what core understands: a
 * 429 is waited out (or handed to the caller as RateLimitedError), a migrated chat or a vanished topic
 * is followed, an unreachable chat is reported to the host, a deleted message becomes MessageGoneError.
 */
export function createDelivery(opts: DeliveryOptions) {
  const { clock, log, platform } = opts;
  const pacer = createPacer({ clock, rule: opts.pace });

  async function run<T>(
    method: string,
    chat: ChatRef,
    fn: (chat: ChatRef) => Promise<T>,
    retry429: boolean,
  ): Promise<{ result: T; chat: ChatRef }> {
    let current = chat;
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await pacer.schedule(current.chatId, () => fn(current));
        opts.observe?.(method, 'ok');
        return { result, chat: current };
      } catch (err) {
        const failure = opts.classify(err);
        opts.observe?.(method, failure.kind === 'rate-limited' ? 'rate_limited' : 'error');
        current = await next(method, current, failure, err, attempt, retry429);
      }
    }
  }

  /** Where to try again after a failure, or the error that ends the call. */
  async function next(
    method: string,
    chat: ChatRef,
    failure: PlatformFailure,
    err: unknown,
    attempt: number,
    retry429: boolean,
  ): Promise<ChatRef> {
    const canRetry = attempt < maxRetries;
    switch (failure.kind) {
      case 'rate-limited':
        pacer.pause(chat.chatId, failure.retryAfterMs);
        log.warn(
          { method, chat: chat.chatId, retryAfterMs: failure.retryAfterMs },
          `${platform} asked us to slow down`,
        );
        if (!retry429 || !canRetry) throw new RateLimitedError(failure.retryAfterMs);
        return chat;
      case 'migrated': {
        if (!canRetry) break;
        const to: ChatRef = { platform: chat.platform, chatId: failure.toChatId };
        opts.host()?.chatMigrated(chat, to);
        return to;
      }
      case 'thread-gone':
        if (!chat.threadId || !canRetry) break;
        return { platform: chat.platform, chatId: chat.chatId };
      case 'message-gone':
        throw new MessageGoneError(`${method}: ${failure.reason}`);
      case 'unreachable': {
        const hint = opts.hint?.(chat, failure.reason) ?? failure.reason;
        log.warn({ method, chat: chat.chatId, reason: failure.reason }, hint);
        await opts.tellPrivately?.(chat, hint);
        opts.host()?.chatUnreachable(chat, `${method}: ${failure.reason}`);
        throw new ChatUnreachableError(hint);
      }
    }
    log.warn({ method, chat: chat.chatId, failure }, `${platform} call failed`);
    throw new Error(`${platform} ${method} failed: ${'reason' in failure ? failure.reason : failure.kind}`, {
      cause: err,
    });
  }

  return {
    /**
     * A call that posts something: 429s are waited out a few times before the caller is told. Returns
     * the platform's answer and the chat it went to in the end (a migrated chat's new id).
     */
    send: <T>(
      method: string,
      chat: ChatRef,
      fn: (chat: ChatRef) => Promise<T>,
    ): Promise<{ result: T; chat: ChatRef }> => run(method, chat, fn, true),
    /**
     * An edit: a 429 goes straight to the caller, who redraws the newest state once the wait is over
     * instead of retrying a stale one; an edit that changes nothing is done.
     */
    async edit(method: string, chat: ChatRef, fn: (chat: ChatRef) => Promise<unknown>): Promise<void> {
      const unlessUnchanged = (c: ChatRef): Promise<unknown> =>
        fn(c).catch((err: unknown) => {
          if (opts.classify(err).kind !== 'not-modified') throw err;
        });
      await run(method, chat, unlessUnchanged, false);
    },
  };
}
