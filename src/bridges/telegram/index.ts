import { timingSafeEqual } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { Api, Bot, InputFile } from 'grammy';
import type { HttpServer } from '../../core/runtime/httpServer.js';
import { sleep, type Clock } from '../../core/runtime/clock.js';
import { RateLimitedError } from '../../core/runtime/errors.js';
import type { Logger } from '../../core/runtime/logging.js';
import {
  ChatUnreachableError,
  MessageGoneError,
  type Bridge,
  type BridgeHost,
  type ChatRef,
  type Inbound,
  type InboundHandler,
  type MessageRef,
  type Outbound,
} from '../../core/chat/types.js';
import { plainText } from '../../core/chat/outbound.js';
import { createLanes } from '../shared/lanes.js';
import { createPacer, type PaceRule } from '../shared/pacer.js';
import { classify } from './errors.js';
import { decodeUpdate } from './inbound.js';
import { keyboard, renderChunks, type Chunk } from './render.js';

export type TelegramOptions = {
  token: string;
  apiRoot: string;
  log: Logger;
  clock: Clock;
  /** The command menu shown by Telegram clients (setMyCommands). */
  menu: { command: string; description: string }[];
  /** Called when the bridge cannot go on (token refused, another instance polling); the process should exit. */
  onFatal: (err: Error) => void;
  /** Spacing of calls per chat; Telegram allows about one message a second per chat and 20 a minute per group. */
  pace?: { private: PaceRule; group: PaceRule };
  /** Waits after a 409 Conflict before trying again; when they run out the bridge gives up. */
  conflictBackoffMs?: number[];
  pollTimeoutSeconds?: number;
  /** First wait after a network failure; doubles up to 30 s. */
  retryBaseMs?: number;
  /** More chunks than this and a long message goes as a text file instead. */
  maxChunks?: number;
  /** Told about every Bot API call and how it ended, for metrics. */
  observe?: (method: string, outcome: 'ok' | 'error' | 'rate_limited') => void;
  /** Webhook mode: Telegram posts updates to url, received on the shared HTTP server. */
  webhook?: { url: string; secret: string; http: HttpServer };
};

const cursorKey = 'telegram:offset';

/** grammY types its signals with a polyfill's AbortSignal; Node's own is what it receives at run time. */
type GrammySignal = Parameters<Bot['api']['getMe']>[0];
const callTimeoutS = 20;

/** Telegram through grammY: long polling, HTML rendering, inline buttons, per-chat pacing. */
export function createTelegramBridge(opts: TelegramOptions): Bridge {
  const { clock, log } = opts;
  const pollTimeoutSeconds = opts.pollTimeoutSeconds ?? 30;
  // Every call times out on grammY's own per-call timer (one it sets anyway); a long poll gets an Api
  // of its own because it must outlast any other call.
  const bot = new Bot(opts.token, { client: { apiRoot: opts.apiRoot, timeoutSeconds: callTimeoutS } });
  const pollApi = new Api(opts.token, { apiRoot: opts.apiRoot, timeoutSeconds: pollTimeoutSeconds + 15 });
  const pace = opts.pace ?? {
    private: { minIntervalMs: 1000 },
    group: { minIntervalMs: 1000, perMinute: 20 },
  };
  const pacer = createPacer({
    clock,
    rule: (chatId) => (chatId.startsWith('-') ? pace.group : pace.private),
  });
  const conflictBackoffMs = opts.conflictBackoffMs ?? [15_000, 25_000, 35_000, 45_000, 55_000];
  const retryBaseMs = opts.retryBaseMs ?? 1000;
  const maxChunks = opts.maxChunks ?? 3;
  const stopping = new AbortController();
  // Every call in flight listens here, so stop() cuts them short; hundreds at once are normal. (One
  // shared signal instead of AbortSignal.any with a timeout per call: B1 in BENCHMARKS.md.)
  setMaxListeners(0, stopping.signal);
  const untilStop = stopping.signal as unknown as GrammySignal;
  const lanes = createLanes(log);
  let host: BridgeHost | undefined;
  let username: string | undefined;
  let polling: Promise<void> | undefined;
  /** When Telegram last answered us, and whether the bridge has given up (fatal). */
  let lastContact = -Infinity;
  let fatal: string | undefined;
  const fail = (err: Error): void => {
    fatal = err.message;
    opts.onFatal(err);
  };

  const watch: Parameters<Api['config']['use']>[0] = async (prev, method, payload, signal) => {
    try {
      const res = await prev(method, payload, signal);
      if (res.ok || res.error_code !== 429) lastContact = clock.now();
      opts.observe?.(method, res.ok ? 'ok' : res.error_code === 429 ? 'rate_limited' : 'error');
      return res;
    } catch (err) {
      opts.observe?.(method, 'error');
      throw err;
    }
  };
  bot.api.config.use(watch);
  pollApi.config.use(watch);

  const target = (chat: ChatRef) => ({
    chatId: Number(chat.chatId),
    thread: chat.threadId ? { message_thread_id: Number(chat.threadId) } : {},
  });

  /**
   * Runs a chat-bound call through the pacer; waits out 429s, follows a group's move to a supergroup,
   * drops a topic that no longer exists, and marks a chat that blocked the bot unreachable.
   */
  async function call<T>(
    chat: ChatRef,
    fn: (chat: ChatRef) => Promise<T>,
    opts2: { retry429: boolean },
  ): Promise<{ result: T; chat: ChatRef }> {
    let current = chat;
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await pacer.schedule(current.chatId, () => fn(current));
        return { result, chat: current };
      } catch (err) {
        const failure = classify(err);
        if (failure.kind === 'rate-limited') {
          pacer.pause(current.chatId, failure.retryAfterMs);
          log.warn(
            { chat: current.chatId, retryAfterMs: failure.retryAfterMs },
            'telegram asked us to slow down',
          );
          if (!opts2.retry429 || attempt >= 3) throw new RateLimitedError(failure.retryAfterMs);
          continue;
        }
        if (failure.kind === 'migrated' && attempt < 3) {
          const to: ChatRef = { platform: 'telegram', chatId: String(failure.toChatId) };
          host?.chatMigrated(current, to);
          current = to;
          continue;
        }
        if (failure.kind === 'thread-not-found' && current.threadId && attempt < 3) {
          current = { platform: current.platform, chatId: current.chatId };
          continue;
        }
        if (failure.kind === 'unreachable') {
          host?.chatUnreachable(current, failure.description);
          throw new ChatUnreachableError(failure.description);
        }
        throw err;
      }
    }
  }

  async function sendChunk(
    chat: ChatRef,
    chunk: Chunk,
    markup: ReturnType<typeof keyboard>,
  ): Promise<MessageRef> {
    const { result, chat: used } = await call(
      chat,
      (c) =>
        bot.api.sendMessage(
          target(c).chatId,
          chunk.html,
          {
            parse_mode: 'HTML',
            link_preview_options: { is_disabled: true },
            ...target(c).thread,
            ...(markup ? { reply_markup: markup } : {}),
          },
          untilStop,
        ),
      { retry429: true },
    );
    return { chat: used, messageId: String(result.message_id) };
  }

  async function sendDocument(chat: ChatRef, message: Outbound): Promise<MessageRef> {
    const text = plainText(message);
    const first = message.lines[0]?.map((s) => s.text).join('') ?? 'output';
    const { result, chat: used } = await call(
      chat,
      (c) =>
        bot.api.sendDocument(
          target(c).chatId,
          new InputFile(Buffer.from(text, 'utf8'), 'fleetbot-output.txt'),
          {
            caption: `${first.slice(0, 900)}\n(full text attached: ${message.lines.length} lines)`,
            ...target(c).thread,
          },
          untilStop,
        ),
      { retry429: true },
    );
    return { chat: used, messageId: String(result.message_id) };
  }

  const answerPress = async (
    deliver: InboundHandler,
    inbound: Inbound,
    callbackQueryId: string,
  ): Promise<void> => {
    let answered = false;
    const answer = async (text?: string, alert?: boolean): Promise<void> => {
      if (answered) return;
      answered = true;
      await bot.api
        .answerCallbackQuery(
          callbackQueryId,
          { ...(text ? { text: text.slice(0, 200) } : {}), ...(alert ? { show_alert: true } : {}) },
          untilStop,
        )
        .catch((err: unknown) => log.warn({ err: classify(err) }, 'could not answer a button press'));
    };
    // Telegram shows a spinner until the press is answered; never leave it spinning past ~1.5 s.
    const early = clock.setTimeout(() => void answer(), 1500);
    try {
      const result = await deliver(inbound);
      await answer(result?.text, result?.alert);
    } finally {
      clock.clearTimeout(early);
    }
  };

  /**
   * Every update once: the batch's last id is recorded before any of it is handled, so after a crash
   * it is skipped rather than run twice (a repeated /deploy or button press would be worse than a lost
   * one). One cursor write per batch, not per update: a burst of commands costs one SQLite write.
   */
  function handleUpdates(raws: unknown[], deliver: InboundHandler): void {
    const from = Number(host?.loadCursor(cursorKey) ?? 0);
    const fresh = raws.filter((raw) => {
      const updateId = (raw as { update_id?: unknown } | null)?.update_id;
      return typeof updateId === 'number' && updateId >= from;
    });
    const last = fresh.at(-1) as { update_id: number } | undefined;
    if (last === undefined) return;
    host?.saveCursor(cursorKey, String(last.update_id + 1));
    for (const raw of fresh) dispatch(raw, deliver);
  }

  function dispatch(raw: unknown, deliver: InboundHandler): void {
    const decoded = decodeUpdate(raw, new Date(clock.now()));
    if (decoded.kind === 'migrated') host?.chatMigrated(decoded.from, decoded.to);
    else if (decoded.kind === 'ignored')
      log.debug(
        { updateId: (raw as { update_id: number }).update_id, reason: decoded.reason },
        'update ignored',
      );
    else if (decoded.callbackQueryId) {
      const { inbound, callbackQueryId } = decoded;
      void answerPress(deliver, inbound, callbackQueryId).catch((err: unknown) =>
        log.error({ err }, 'button press failed'),
      );
    } else {
      const { inbound } = decoded;
      lanes.run(inbound.chat.chatId, async () => void (await deliver(inbound)));
    }
  }

  async function poll(deliver: InboundHandler): Promise<void> {
    let conflicts = 0;
    let failures = 0;
    while (!stopping.signal.aborted) {
      let updates: unknown[];
      try {
        updates = await pollApi.getUpdates(
          {
            offset: Number(host?.loadCursor(cursorKey) ?? 0),
            timeout: pollTimeoutSeconds,
            allowed_updates: ['message', 'callback_query'],
          },
          untilStop,
        );
        conflicts = 0;
        failures = 0;
      } catch (err) {
        if (stopping.signal.aborted) return;
        const failure = classify(err);
        if (failure.kind === 'unauthorized') {
          fail(
            new Error(
              'Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized). Get the token again from @BotFather and restart.',
            ),
          );
          return;
        }
        if (failure.kind === 'conflict') {
          const wait = conflictBackoffMs[conflicts++];
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
          await sleep(clock, wait, stopping.signal).catch(() => undefined);
          continue;
        }
        const wait =
          failure.kind === 'rate-limited'
            ? failure.retryAfterMs
            : Math.min(30_000, retryBaseMs * 2 ** failures++);
        log.warn({ failure, waitMs: wait }, 'telegram polling failed; retrying');
        await sleep(clock, wait, stopping.signal).catch(() => undefined);
        continue;
      }
      handleUpdates(updates, deliver);
    }
  }

  async function init(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await bot.init(untilStop);
        return;
      } catch (err) {
        const failure = classify(err);
        if (failure.kind === 'unauthorized') {
          throw new Error(
            'Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized). Get the token again from @BotFather (/token) and set it.',
            { cause: err },
          );
        }
        if (attempt >= 4)
          throw new Error(
            `cannot reach the Telegram Bot API at ${opts.apiRoot}: ${failure.kind === 'network' || failure.kind === 'other' ? failure.description : failure.kind}. Check the network or TELEGRAM_API_ROOT.`,
            { cause: err },
          );
        await sleep(clock, Math.min(15_000, 1000 * 2 ** attempt));
      }
    }
  }

  return {
    platform: 'telegram',
    limits: { maxTextLength: 4096, minEditIntervalMs: 1000 },
    get username() {
      return username;
    },

    health() {
      if (fatal) return { ok: false, detail: fatal };
      // A long poll answers at least every pollTimeoutSeconds; silence well beyond that means trouble.
      const silentFor = clock.now() - lastContact;
      if (!opts.webhook && silentFor > (pollTimeoutSeconds + 30) * 1000) {
        return {
          ok: false,
          detail: `no answer from the Telegram Bot API for ${Math.round(silentFor / 1000)} s`,
        };
      }
      return { ok: true, detail: opts.webhook ? 'webhook set' : 'polling' };
    },

    async start(deliver, bridgeHost) {
      host = bridgeHost;
      await init();
      username = bot.botInfo.username;
      await bot.api
        .setMyCommands(opts.menu, {}, untilStop)
        .catch((err: unknown) => log.warn({ err: classify(err) }, 'could not set the command menu'));
      const webhook = opts.webhook;
      if (webhook) {
        webhook.http.route('POST', new URL(webhook.url).pathname, (req, body, res) => {
          const given = Buffer.from(String(req.headers['x-telegram-bot-api-secret-token'] ?? ''));
          const expected = Buffer.from(webhook.secret);
          if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
            res.writeHead(401, { 'content-type': 'text/plain' }).end('secret token is wrong');
            return;
          }
          let update: unknown;
          try {
            update = JSON.parse(body.toString('utf8'));
          } catch {
            res.writeHead(400, { 'content-type': 'text/plain' }).end('not JSON');
            return;
          }
          // Answer at once: Telegram waits for this reply before sending the chat's next update.
          res.writeHead(200).end();
          handleUpdates([update], deliver);
        });
        await bot.api.setWebhook(
          webhook.url,
          // One delivery at a time keeps update ids in order, which the once-only check relies on.
          {
            secret_token: webhook.secret,
            allowed_updates: ['message', 'callback_query'],
            max_connections: 1,
          },
          untilStop,
        );
        log.info({ username, url: webhook.url }, 'telegram bridge started (webhook)');
      } else {
        await bot.api.deleteWebhook({ drop_pending_updates: false }, untilStop);
        log.info({ username }, 'telegram bridge started (long polling)');
        polling = poll(deliver);
      }
    },

    async send(chat, message) {
      const chunks = renderChunks(message);
      if (chunks.length > maxChunks) return sendDocument(chat, message);
      let ref: MessageRef | undefined;
      for (const [i, chunk] of chunks.entries()) {
        ref = await sendChunk(
          ref?.chat ?? chat,
          chunk,
          i === chunks.length - 1 ? keyboard(message) : undefined,
        );
      }
      return ref!;
    },

    async edit(ref, message) {
      const [first, ...rest] = renderChunks(message);
      const html = rest.length ? `${first!.html}\n…` : first!.html;
      const markup = keyboard(message) ?? { inline_keyboard: [] };
      try {
        await call(
          ref.chat,
          (c) =>
            bot.api.editMessageText(
              target(c).chatId,
              Number(ref.messageId),
              html,
              { parse_mode: 'HTML', link_preview_options: { is_disabled: true }, reply_markup: markup },
              untilStop,
            ),
          { retry429: false },
        );
      } catch (err) {
        const failure = classify(err);
        if (failure.kind === 'not-modified') return;
        if (failure.kind === 'message-gone')
          throw new MessageGoneError(`message ${ref.messageId} can no longer be edited`);
        throw err;
      }
    },

    async stop() {
      stopping.abort(new Error('stopping'));
      await polling;
      await lanes.idle();
    },
  };
}
