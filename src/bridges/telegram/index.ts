import { setMaxListeners } from 'node:events';
import { Bot, InputFile, type Api } from 'grammy';
import type { BotCommandScope } from 'grammy/types';
import { sleep, type Clock } from '../../core/runtime/clock.js';
import type { Logger } from '../../core/runtime/logging.js';
import type {
  AnswerStream,
  Bridge,
  BridgeHost,
  ChatRef,
  MessageRef,
  Outbound,
  SendOptions,
} from '../../core/chat/types.js';
import { message as textMessage, plainText } from '../../core/chat/outbound.js';
import { createDelivery } from '../shared/delivery.js';
import { createHealth } from '../shared/health.js';
import { createNewestSender } from '../shared/newest.js';
import type { PaceRule } from '../shared/pacer.js';
import { classify } from './errors.js';
import { startPolling } from './polling.js';
import { keyboard, renderChunks, type Chunk } from './render.js';
import { grammySignal } from './signal.js';
import { createUpdateReceiver, type UpdateReceiver } from './updates.js';
import { startWebhook, type WebhookOptions } from './webhook.js';

export type TelegramOptions = {
  token: string;
  apiRoot: string;
  log: Logger;
  clock: Clock;
  /**
   * The command menus shown by Telegram clients (setMyCommands): what a member may run for everyone,
   * the admin list in each admin's private chat.
   */
  menus: Record<'member' | 'admin', { command: string; description: string }[]>;
  /** Called when the bridge cannot go on (token refused, another instance polling); the process should exit. */
  onFatal: (err: Error) => void;
  /**
   * Spacing of calls per chat; Telegram allows about one message a second per chat and 20 a minute per
   * group. Drafts (an answer streaming into a private chat) have a lane of their own.
   */
  pace?: { private: PaceRule; group: PaceRule; draft?: PaceRule };
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
  webhook?: WebhookOptions;
};

const callTimeoutS = 20;
/** A caption holds 1024 characters after entity parsing. */
const captionLimit = 1024;

const sendOptions = (chat: ChatRef, opts: SendOptions | undefined) => ({
  ...(opts?.silent ? { disable_notification: true } : {}),
  // A reply that cannot be shown (its message deleted, another chat) is sent as a plain message.
  ...(opts?.replyTo && opts.replyTo.chat.chatId === chat.chatId
    ? { reply_parameters: { message_id: Number(opts.replyTo.messageId), allow_sending_without_reply: true } }
    : {}),
});

/** Telegram through grammY: long polling or a webhook, HTML rendering, inline buttons, per-chat pacing. */
export function createTelegramBridge(opts: TelegramOptions): Bridge {
  const { clock, log } = opts;
  const pollTimeoutSeconds = opts.pollTimeoutSeconds ?? 30;
  // Every call times out on grammY's own per-call timer (one it sets anyway); a long poll gets an Api
  // of its own (see polling.ts) because it must outlast any other call.
  const bot = new Bot(opts.token, { client: { apiRoot: opts.apiRoot, timeoutSeconds: callTimeoutS } });
  const pace = opts.pace ?? {
    private: { minIntervalMs: 1000 },
    group: { minIntervalMs: 1000, perMinute: 20 },
  };
  const maxChunks = opts.maxChunks ?? 3;
  const stopping = new AbortController();
  // Every call in flight listens here, so stop() cuts them short; hundreds at once are normal. (One
  // shared signal instead of AbortSignal.any with a timeout per call: B1 in BENCHMARKS.md.)
  setMaxListeners(0, stopping.signal);
  const untilStop = grammySignal(stopping.signal);
  const health = createHealth(opts.onFatal);
  let host: BridgeHost | undefined;
  let username: string | undefined;
  let receiver: UpdateReceiver | undefined;
  let polling: Promise<void> | undefined;
  /** When Telegram last answered us. */
  let lastContact = -Infinity;

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

  const delivery = createDelivery({
    platform: 'Telegram',
    clock,
    log,
    pace: (chatId) => (chatId.startsWith('-') ? pace.group : pace.private),
    classify,
    host: () => host,
  });
  // About four draft updates a second: drafts are animated previews, not messages, and have no
  // per-chat message budget to spend.
  const drafts = createDelivery({
    platform: 'Telegram',
    clock,
    log,
    pace: () => pace.draft ?? { minIntervalMs: 250 },
    classify,
    host: () => host,
  });
  let nextDraftId = 1;

  const setMenu = (menu: typeof opts.menus.member, scope: BotCommandScope): Promise<unknown> =>
    bot.api
      .setMyCommands(menu, { scope }, untilStop)
      .catch((err: unknown) => log.warn({ err: classify(err), scope }, 'could not set the command menu'));
  /** The admins whose private chat shows the admin menu now. */
  let menuAdmins = new Set<string>();
  let menusSynced: Promise<void> = Promise.resolve();
  /**
   * Each admin's private chat shows the admin list (a `chat` scope outranks `all_private_chats` and
   * `default`); an admin who is one no more is given the members' menu back. Checked at start and
   * after every update, since an update (`/allow`, `/revoke`, `/pair`) is what changes who is admin.
   * One call at a time: a menu is not worth the bot's request budget.
   */
  const syncAdminMenus = (): Promise<void> =>
    (menusSynced = menusSynced.then(async () => {
      const admins = new Set(host?.admins('telegram') ?? []);
      for (const id of admins)
        if (!menuAdmins.has(id)) await setMenu(opts.menus.admin, { type: 'chat', chat_id: Number(id) });
      for (const id of menuAdmins) {
        if (admins.has(id)) continue;
        await bot.api
          .deleteMyCommands({ scope: { type: 'chat', chat_id: Number(id) } }, untilStop)
          .catch((err: unknown) => log.warn({ err: classify(err) }, 'could not reset an admin’s menu'));
      }
      menuAdmins = admins;
    }));

  const target = (chat: ChatRef) => ({
    chatId: Number(chat.chatId),
    thread: chat.threadId ? { message_thread_id: Number(chat.threadId) } : {},
  });

  async function sendChunk(
    chat: ChatRef,
    chunk: Chunk,
    markup: ReturnType<typeof keyboard>,
    opts: SendOptions | undefined,
  ): Promise<MessageRef> {
    const { result, chat: used } = await delivery.send('sendMessage', chat, (c) =>
      bot.api.sendMessage(
        target(c).chatId,
        chunk.html,
        {
          parse_mode: 'HTML',
          link_preview_options: { is_disabled: true },
          ...target(c).thread,
          ...sendOptions(c, opts),
          ...(markup ? { reply_markup: markup } : {}),
        },
        untilStop,
      ),
    );
    return { chat: used, messageId: String(result.message_id) };
  }

  async function send(chat: ChatRef, message: Outbound, opts?: SendOptions): Promise<MessageRef> {
    const chunks = renderChunks(message);
    if (chunks.length > maxChunks) {
      const first = message.lines[0]?.map((s) => s.text).join('') ?? 'output';
      return sendDocument(
        chat,
        {
          name: 'fleetbot-output.txt',
          content: plainText(message),
          caption: textMessage(first.slice(0, 900), `(full text attached: ${message.lines.length} lines)`),
        },
        opts,
      );
    }
    let ref: MessageRef | undefined;
    for (const [i, chunk] of chunks.entries()) {
      const last = i === chunks.length - 1;
      // One notification per message, on its last part; a reply is shown on its first.
      ref = await sendChunk(ref?.chat ?? chat, chunk, last ? keyboard(message) : undefined, {
        ...(i === 0 && opts?.replyTo ? { replyTo: opts.replyTo } : {}),
        silent: !last || opts?.silent === true,
      });
    }
    return ref!;
  }

  async function sendDocument(
    chat: ChatRef,
    doc: { name: string; content: string; caption?: Outbound },
    opts?: SendOptions,
  ): Promise<MessageRef> {
    const caption = doc.caption ? renderChunks(doc.caption, captionLimit)[0] : undefined;
    const markup = doc.caption ? keyboard(doc.caption) : undefined;
    const { result, chat: used } = await delivery.send('sendDocument', chat, (c) =>
      bot.api.sendDocument(
        target(c).chatId,
        new InputFile(Buffer.from(doc.content, 'utf8'), doc.name),
        {
          ...(caption ? { caption: caption.html, parse_mode: 'HTML' as const } : {}),
          ...target(c).thread,
          ...sendOptions(c, opts),
          ...(markup ? { reply_markup: markup } : {}),
        },
        untilStop,
      ),
    );
    return { chat: used, messageId: String(result.message_id) };
  }

  /**
   * An answer as a draft in a private chat (sendMessageDraft): the person watches it grow without a
   * message or a notification per update; the final message replaces it.
   */
  function startDraft(chat: ChatRef, replyTo: MessageRef | undefined): AnswerStream {
    const draftId = nextDraftId++;
    const draft = createNewestSender<string>({
      log,
      what: 'a draft',
      send: async (text) => {
        const [first] = renderChunks(textMessage(...text.split('\n')));
        await drafts.edit('sendMessageDraft', chat, (c) =>
          bot.api.sendMessageDraft(
            target(c).chatId,
            draftId,
            first!.html,
            { parse_mode: 'HTML', ...target(c).thread },
            untilStop,
          ),
        );
      },
    });
    return {
      update: (text) => {
        if (text.trim() !== '') draft.set(text);
      },
      async finish(message, opts) {
        await draft.stop();
        return send(chat, message, {
          ...(replyTo ? { replyTo } : {}),
          ...(opts?.silent ? { silent: true } : {}),
        });
      },
      // A draft vanishes by itself (at once when the bot next writes to the chat, or after 30 s).
      abandon: () => draft.stop(),
    };
  }

  async function init(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await bot.init(untilStop);
        return;
      } catch (err) {
        const failure = classify(err);
        if (failure.kind === 'bad-token') {
          throw new Error(
            'Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized). Get the token again from @BotFather (/token) and set it.',
            { cause: err },
          );
        }
        if (attempt >= 4)
          throw new Error(
            `cannot reach the Telegram Bot API at ${opts.apiRoot}: ${'reason' in failure ? failure.reason : failure.kind}. Check the network or TELEGRAM_API_ROOT.`,
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

    health: () =>
      health.report(() => {
        // A long poll answers at least every pollTimeoutSeconds; silence well beyond that means trouble.
        const silentFor = clock.now() - lastContact;
        if (!opts.webhook && silentFor > (pollTimeoutSeconds + 30) * 1000) {
          return {
            ok: false,
            detail: `no answer from the Telegram Bot API for ${Math.round(silentFor / 1000)} s`,
          };
        }
        return { ok: true, detail: opts.webhook ? 'webhook set' : 'polling' };
      }),

    async start(deliver, bridgeHost) {
      host = bridgeHost;
      await init();
      username = bot.botInfo.username;
      // Everyone sees what a member may run, so /allow and /audit are not offered to all.
      await setMenu(opts.menus.member, { type: 'default' });
      await setMenu(opts.menus.member, { type: 'all_private_chats' });
      await syncAdminMenus();
      receiver = createUpdateReceiver({
        api: bot.api,
        signal: stopping.signal,
        clock,
        log,
        host: bridgeHost,
        deliver: async (inbound) => {
          const answer = await deliver(inbound);
          void syncAdminMenus();
          return answer;
        },
        botId: bot.botInfo.id,
      });
      if (opts.webhook) {
        await startWebhook(opts.webhook, { api: bot.api, signal: stopping.signal, receiver });
        log.info({ username, url: opts.webhook.url }, 'telegram bridge started (webhook)');
      } else {
        const started = await startPolling({
          token: opts.token,
          apiRoot: opts.apiRoot,
          api: bot.api,
          watch,
          timeoutSeconds: pollTimeoutSeconds,
          conflictBackoffMs: opts.conflictBackoffMs ?? [15_000, 25_000, 35_000, 45_000, 55_000],
          retryBaseMs: opts.retryBaseMs ?? 1000,
          clock,
          log,
          signal: stopping.signal,
          receiver,
          fail: health.fail,
        });
        polling = started.done;
        log.info({ username }, 'telegram bridge started (long polling)');
      }
    },

    send,
    sendDocument,

    // Drafts exist only in private chats; groups get one message edited through the pacer.
    startStream: (chat, opts) =>
      opts.direct && !chat.chatId.startsWith('-') ? startDraft(chat, opts.replyTo) : undefined,

    async edit(ref, message) {
      const [first, ...rest] = renderChunks(message);
      const html = rest.length ? `${first!.html}\n…` : first!.html;
      const markup = keyboard(message) ?? { inline_keyboard: [] };
      await delivery.edit('editMessageText', ref.chat, (c) =>
        bot.api.editMessageText(
          target(c).chatId,
          Number(ref.messageId),
          html,
          { parse_mode: 'HTML', link_preview_options: { is_disabled: true }, reply_markup: markup },
          untilStop,
        ),
      );
    },

    async stop() {
      stopping.abort(new Error('stopping'));
      await polling;
      await receiver?.idle();
    },
  };
}
