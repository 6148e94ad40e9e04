import { Api } from 'grammy';
import { sleep, type Clock } from '../../core/runtime/clock.js';
import type { Logger } from '../../core/runtime/logging.js';
import { classify } from './errors.js';
import { grammySignal } from './signal.js';
import type { UpdateReceiver } from './updates.js';

export type PollingOptions = {
  token: string;
  apiRoot: string;
  /** The Api everything else uses; it removes any webhook, which would make getUpdates fail. */
  api: Api;
  /** Runs around every call of the poll's own Api, as it does around the main one. */
  watch: Parameters<Api['config']['use']>[0];
  timeoutSeconds: number;
  /** Waits after a 409 Conflict before trying again; when they run out polling gives up. */
  conflictBackoffMs: number[];
  /** First wait after a network failure; doubles up to 30 s. */
  retryBaseMs: number;
  clock: Clock;
  log: Logger;
  signal: AbortSignal;
  receiver: UpdateReceiver;
  /** Polling cannot go on (token refused, another instance polling). */
  fail: (err: Error) => void;
};

/** Long polling: removes any webhook, then polls until the signal aborts; `done` settles when it has. */
export async function startPolling(opts: PollingOptions): Promise<{ done: Promise<void> }> {
  await opts.api.deleteWebhook({ drop_pending_updates: false }, grammySignal(opts.signal));
  return { done: poll(opts) };
}

async function poll(opts: PollingOptions): Promise<void> {
  const { clock, log, signal, receiver, fail } = opts;
  // A long poll gets an Api of its own because it must outlast every other call's timeout.
  const api = new Api(opts.token, { apiRoot: opts.apiRoot, timeoutSeconds: opts.timeoutSeconds + 15 });
  api.config.use(opts.watch);
  const untilStop = grammySignal(signal);
  let conflicts = 0;
  let failures = 0;
  while (!signal.aborted) {
    let updates: unknown[];
    try {
      updates = await api.getUpdates(
        {
          offset: receiver.cursor(),
          timeout: opts.timeoutSeconds,
          allowed_updates: ['message', 'callback_query'],
        },
        untilStop,
      );
      conflicts = 0;
      failures = 0;
    } catch (err) {
      if (signal.aborted) return;
      const failure = classify(err);
      if (failure.kind === 'bad-token') {
        fail(
          new Error(
            'Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized). Get the token again from @BotFather and restart.',
          ),
        );
        return;
      }
      if (failure.kind === 'conflict') {
        const wait = opts.conflictBackoffMs[conflicts++];
        if (wait === undefined) {
          fail(
            new Error(
              'Another instance is polling Telegram with this bot token (409 Conflict). Stop the other instance, then start fleetbot again.',
            ),
          );
          return;
        }
        log.warn(
          { attempt: conflicts, waitMs: wait },
          'another poller uses this bot token (409); waiting before retrying',
        );
        await sleep(clock, wait, signal).catch(() => undefined);
        continue;
      }
      const wait =
        failure.kind === 'rate-limited'
          ? failure.retryAfterMs
          : Math.min(30_000, opts.retryBaseMs * 2 ** failures++);
      log.warn({ failure, waitMs: wait }, 'telegram polling failed; retrying');
      await sleep(clock, wait, signal).catch(() => undefined);
      continue;
    }
    receiver.receive(updates);
  }
}
