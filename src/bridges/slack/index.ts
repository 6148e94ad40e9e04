import { App, SocketModeReceiver, webApi, type Receiver } from '@slack/bolt';
import { slackLimits } from './limits.js';
import { z } from 'zod';
import type { Clock } from '../../core/runtime/clock.js';
import type { HttpServer } from '../../core/runtime/httpServer.js';
import type { Logger } from '../../core/runtime/logging.js';
import { message as textMessage } from '../../core/chat/outbound.js';
import type {
  AnswerStream,
  Bridge,
  BridgeHost,
  ChatRef,
  Inbound,
  InboundHandler,
  MessageRef,
  Outbound,
  SendOptions,
  StreamOptions,
} from '../../core/chat/types.js';
import { createDelivery } from '../shared/delivery.js';
import { createHealth } from '../shared/health.js';
import { createLanes } from '../shared/lanes.js';
import { createNewestSender } from '../shared/newest.js';
import { localiseCommands } from './commands.js';
import { channelHint, classify } from './errors.js';
import { createSharedHttpReceiver } from './httpReceiver.js';
import { decodeAction, decodeCommand, decodeEvent, type Decoded } from './inbound.js';
import { slackLogger } from './logger.js';
import { createOnce } from './once.js';
import { escapeMrkdwn, firstEscapedPiece, renderEdit, renderMessages, type SlackMessage } from './render.js';
import { createResponseUrls } from './responseUrls.js';
import { defaultWatchdog, watchSocket, type WatchdogTimings } from './watchdog.js';

export type SlackOptions = {
  botToken: string;
  /** Web API base, also used for apps.connections.open in Socket Mode. */
  apiUrl: string;
  /** Socket Mode needs no public URL; HTTP mode receives on the shared server at `path`. */
  mode:
    | { kind: 'socket'; appToken: string }
    | { kind: 'http'; signingSecret: string; http: HttpServer; path?: string };
  log: Logger;
  clock: Clock;
  /** Called when the bridge cannot go on (the socket stays down); the process should exit. */
  onFatal: (err: Error) => void;
  /** The slash command, as configured in the app manifest. */
  command?: string;
  /** fleetbot's command names, so hints like `/status x` are shown as `/fleet status x`. */
  commandNames?: readonly string[];
  /** Spacing of calls per channel; Slack allows about one message a second per channel. */
  paceMs?: number;
  /** Retries of a Web API call after a network error or a 5xx (429s are handled here, not retried blindly). */
  retries?: number;
  socket?: { clientPingTimeoutMs?: number; watchdog?: Partial<WatchdogTimings> };
  /** Told about every channel-bound Web API call and how it ended, for metrics. */
  observe?: (method: string, outcome: 'ok' | 'error' | 'rate_limited') => void;
  /** Sections per Slack message before long output continues in another message. */
  sectionsPerMessage?: number;
};

const authTest = z.object({
  user_id: z.string(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  team_id: z.string().optional(),
});
const posted = z.object({ ts: z.string(), channel: z.string() });
const streamStarted = z.object({ ts: z.string() });
/** chat.startStream and chat.appendStream take at most 12,000 characters of markdown_text per call. */
const streamCallLimit = 12_000;
const postedEphemeral = z.object({ message_ts: z.string() });

const onceKey = 'slack:delivered';
const isDirect = (chat: ChatRef): boolean => chat.chatId.startsWith('D');
/** A reply in Slack is a message in the replied-to message's thread (or in the thread it is in). */
const inThread = (chat: ChatRef, replyTo: MessageRef | undefined): ChatRef =>
  chat.threadId || !replyTo || replyTo.chat.chatId !== chat.chatId
    ? chat
    : { ...chat, threadId: replyTo.chat.threadId ?? replyTo.messageId };
/** Where Slack's own response_url endpoints live. */
const slackHooksOrigin = 'https://hooks.slack.com';
const originOf = (url: string): string | undefined => {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
};

/** Slack through Bolt: Socket Mode or HTTP, Block Kit cards edited in place, buttons, per-channel pacing. */
export function createSlackBridge(opts: SlackOptions): Bridge {
  const { clock, log } = opts;
  const command = opts.command ?? '/fleet';
  const sectionsPerMessage = opts.sectionsPerMessage ?? 5;
  const clientOptions = {
    slackApiUrl: opts.apiUrl,
    // A 429 comes back to us, so a card's edit is retried with its newest state instead of a stale one.
    rejectRateLimitedCalls: true,
    retryConfig: { retries: opts.retries ?? 3 },
    timeout: 20_000,
    logger: slackLogger(log),
  };
  const localise = (message: Outbound): Outbound =>
    localiseCommands(message, command, opts.commandNames ?? []);
  const web = new webApi.WebClient(opts.botToken, clientOptions);
  const lanes = createLanes(log);
  // The newest slash command's response_url per channel: the one way to reach someone in a channel
  // fleetbot is not a member of.
  const responseUrls = createResponseUrls({ clock });
  const responseUrlOrigins = new Set([slackHooksOrigin, new URL(opts.apiUrl).origin]);
  let app: App | undefined;
  let host: BridgeHost | undefined;
  let username: string | undefined;
  let teamId: string | undefined;
  let watchdog: ReturnType<typeof watchSocket> | undefined;
  const health = createHealth(opts.onFatal);
  let socketClient: SocketModeReceiver['client'] | undefined;
  let once: ReturnType<typeof createOnce> | undefined;

  const tellPrivately = async (channel: string, text: string): Promise<void> => {
    const url = responseUrls.take(channel);
    if (!url) return;
    // Only ever POST to Slack itself (or the server SLACK_API_URL names), whatever a payload says: a
    // forged response_url must not make fleetbot reach into the network it runs in.
    const origin = originOf(url);
    if (origin === undefined || !responseUrlOrigins.has(origin)) {
      log.warn({ channel }, 'ignored a response_url outside Slack');
      return;
    }
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', text }),
      signal: AbortSignal.timeout(10_000),
    }).catch((err: unknown) => log.warn({ err, channel }, 'could not answer through response_url'));
  };

  const delivery = createDelivery({
    platform: 'Slack',
    clock,
    log,
    pace: () => ({ minIntervalMs: opts.paceMs ?? 1000 }),
    classify,
    host: () => host,
    ...(opts.observe ? { observe: opts.observe } : {}),
    hint: (chat, reason) => channelHint(reason, chat.chatId, username),
    tellPrivately: (chat, text) => tellPrivately(chat.chatId, text),
  });

  const thread = (chat: ChatRef) => (chat.threadId ? { thread_ts: chat.threadId } : {});

  const post = async (chat: ChatRef, part: SlackMessage): Promise<MessageRef> => {
    const { result, chat: used } = await delivery.send('chat.postMessage', chat, async (c) =>
      posted.parse(
        await web.chat.postMessage({
          channel: c.chatId,
          ...part,
          ...thread(c),
          unfurl_links: false,
          unfurl_media: false,
        }),
      ),
    );
    return { chat: used, messageId: result.ts };
  };

  const postEphemeral = async (chat: ChatRef, user: string, part: SlackMessage): Promise<MessageRef> => {
    const { result, chat: used } = await delivery.send('chat.postEphemeral', chat, async (c) =>
      postedEphemeral.parse(await web.chat.postEphemeral({ channel: c.chatId, user, ...part, ...thread(c) })),
    );
    return { chat: used, messageId: result.message_ts };
  };

  async function send(chat: ChatRef, message: Outbound, sendOpts?: SendOptions): Promise<MessageRef> {
    const parts = renderMessages(localise(message), sectionsPerMessage);
    const onlyFor = sendOpts?.onlyFor;
    // Slack has no silent messages: a message notifies as the person's notification settings say.
    const where = inThread(chat, sendOpts?.replyTo);
    let ref: MessageRef | undefined;
    for (const part of parts) {
      ref =
        onlyFor && !isDirect(chat)
          ? await postEphemeral(where, onlyFor.userId, part)
          : await post(ref?.chat ?? where, part);
    }
    return ref!;
  }

  async function edit(ref: MessageRef, message: Outbound): Promise<void> {
    const part = renderEdit(localise(message), sectionsPerMessage);
    await delivery.edit('chat.update', ref.chat, (c) =>
      web.chat.update({ channel: c.chatId, ts: ref.messageId, ...part }),
    );
  }

  /**
   * An answer streamed with chat.startStream / appendStream / stopStream, which Slack offers only in a
   * thread; in a channel (not the DM) it also names who asked. The stream only ever grows, so a state
   * that does not extend what is shown waits for the final message, which chat.update puts in place.
   */
  function startAnswerStream(chat: ChatRef, opts: StreamOptions): AnswerStream | undefined {
    const where = inThread(chat, opts.replyTo);
    const threadTs = where.threadId;
    if (!threadTs || (!isDirect(chat) && !teamId)) return undefined;
    const recipient = isDirect(chat)
      ? {}
      : { recipient_user_id: opts.recipient.userId, recipient_team_id: teamId! };
    let ts: string | undefined;
    let streamed = '';
    const appends = createNewestSender<string>({
      log,
      what: 'a Slack answer stream',
      send: async (text) => {
        if (!text.startsWith(streamed)) return;
        while (streamed.length < text.length) {
          const piece = firstEscapedPiece(text.slice(streamed.length), streamCallLimit);
          const markdown_text = escapeMrkdwn(piece);
          if (ts === undefined) {
            const { result } = await delivery.send('chat.startStream', where, async (c) =>
              streamStarted.parse(
                await web.chat.startStream({
                  channel: c.chatId,
                  thread_ts: threadTs,
                  markdown_text,
                  ...recipient,
                }),
              ),
            );
            ts = result.ts;
          } else {
            const at = ts;
            await delivery.edit('chat.appendStream', where, (c) =>
              web.chat.appendStream({ channel: c.chatId, ts: at, markdown_text }),
            );
          }
          streamed += piece;
        }
      },
    });
    const stop = async (): Promise<string | undefined> => {
      await appends.stop();
      const at = ts;
      if (at !== undefined)
        await delivery.send('chat.stopStream', where, (c) =>
          web.chat.stopStream({ channel: c.chatId, ts: at }),
        );
      return at;
    };
    return {
      update: (text) => appends.set(text),
      async finish(message) {
        const at = await stop();
        if (at === undefined) return send(where, message);
        // The final message as every other message looks: sections, footer, buttons.
        const ref = { chat: where, messageId: at };
        await edit(ref, message);
        return ref;
      },
      abandon: async () => void (await stop()),
    };
  }

  /** A file in the chat, under its caption: the caption is a message of its own, so it can be edited. */
  async function sendDocument(
    chat: ChatRef,
    doc: { name: string; content: string; caption?: Outbound },
    sendOpts?: SendOptions,
  ): Promise<MessageRef> {
    const ref = await send(chat, doc.caption ?? textMessage(doc.name), sendOpts);
    await delivery.send('files.uploadV2', ref.chat, (c) =>
      web.filesUploadV2({
        ...(c.threadId ? { channel_id: c.chatId, thread_ts: c.threadId } : { channel_id: c.chatId }),
        content: doc.content,
        filename: doc.name,
        title: doc.name,
      }),
    );
    return ref;
  }

  /** A press is answered to the presser alone; Slack has no toast, so the answer is an ephemeral line. */
  const press = async (deliver: InboundHandler, inbound: Inbound): Promise<void> => {
    const answer = await deliver(inbound);
    if (!answer?.text) return;
    const [part] = renderMessages(localise({ lines: [[{ text: answer.text }]] }));
    await postEphemeral(inbound.chat, inbound.user.userId, part!).catch((err: unknown) =>
      log.warn({ err }, 'could not answer a button press'),
    );
  };

  /** Every delivery once: it is recorded before it is handled, as a repeat is worse than a loss. */
  const accept = (deliver: InboundHandler, decoded: Decoded): void => {
    if (decoded.kind === 'ignored') {
      log.debug({ reason: decoded.reason }, 'slack delivery ignored');
      return;
    }
    if (!once?.first(decoded.once)) {
      log.info({ delivery: decoded.once }, 'slack redelivered something already handled; skipped');
      return;
    }
    const { inbound } = decoded;
    if (decoded.responseUrl) responseUrls.remember(inbound.chat.chatId, decoded.responseUrl);
    if (inbound.kind === 'action')
      void press(deliver, inbound).catch((err: unknown) => log.error({ err }, 'button press failed'));
    else lanes.run(inbound.chat.chatId, async () => void (await deliver(inbound)));
  };
  const receiverFor = (mode: SlackOptions['mode']): Receiver => {
    if (mode.kind === 'http')
      return createSharedHttpReceiver({
        http: mode.http,
        path: mode.path ?? '/slack/events',
        signingSecret: mode.signingSecret,
        clock,
        log,
      });
    const receiver = new SocketModeReceiver({
      appToken: mode.appToken,
      logger: slackLogger(log),
      ...(opts.socket?.clientPingTimeoutMs ? { clientPingTimeout: opts.socket.clientPingTimeoutMs } : {}),
      installerOptions: {
        clientOptions: { slackApiUrl: opts.apiUrl, retryConfig: { retries: opts.retries ?? 3 } },
      },
    });
    socketClient = receiver.client;
    watchdog = watchSocket({
      client: receiver.client,
      clock,
      log,
      onFatal: health.fail,
      timings: { ...defaultWatchdog, ...opts.socket?.watchdog },
    });
    return receiver;
  };

  async function identify(): Promise<z.output<typeof authTest>> {
    try {
      return authTest.parse(await web.auth.test());
    } catch (err) {
      const failure = classify(err);
      if (failure.kind === 'bad-token')
        throw new Error(
          `Slack refused SLACK_BOT_TOKEN (${failure.reason}). Copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page and set it.`,
          { cause: err },
        );
      throw new Error(
        `cannot reach the Slack Web API at ${opts.apiUrl}: ${'reason' in failure ? failure.reason : failure.kind}. Check the network or SLACK_API_URL.`,
        { cause: err },
      );
    }
  }

  return {
    platform: 'slack',
    limits: slackLimits(opts),
    get username() {
      return username;
    },

    health: () =>
      health.report(() => {
        // A short gap is a normal reconnect; longer means the socket is really down.
        const offline = watchdog?.offlineForMs();
        if (offline !== undefined && offline > 30_000) {
          return {
            ok: false,
            detail: `Socket Mode has been disconnected for ${Math.round(offline / 1000)} s`,
          };
        }
        return { ok: true, detail: opts.mode.kind === 'socket' ? 'socket mode' : 'http mode' };
      }),

    async start(deliver, bridgeHost) {
      host = bridgeHost;
      once = createOnce(bridgeHost, onceKey);
      const me = await identify();
      username = me.user;
      teamId = me.team_id;
      const now = (): Date => new Date(clock.now());
      app = new App({
        token: opts.botToken,
        receiver: receiverFor(opts.mode),
        logger: slackLogger(log),
        clientOptions,
        botUserId: me.user_id,
        ...(me.bot_id ? { botId: me.bot_id } : {}),
        tokenVerificationEnabled: false,
        convoStore: false,
      });
      // Acknowledge first, always: Slack gives 3 seconds, and the work may take minutes.
      app.command(command, async ({ ack, body }) => {
        await ack();
        accept(deliver, decodeCommand(body, now()));
      });
      app.action({ type: 'block_actions' }, async ({ ack, body }) => {
        await ack();
        accept(deliver, decodeAction(body, now()));
      });
      // Events are acknowledged by Bolt before listeners run.
      for (const type of ['app_mention', 'message'] as const)
        app.event(type, async ({ body }) =>
          accept(deliver, decodeEvent(body, me.user_id, now(), opts.commandNames)),
        );
      app.error(async (err) => log.error({ err }, 'slack listener failed'));
      await app.start();
      log.info(
        { user: username, mode: opts.mode.kind },
        `slack bridge started (${opts.mode.kind === 'socket' ? 'Socket Mode' : 'HTTP'})`,
      );
    },

    send,
    edit,
    startStream: startAnswerStream,
    sendDocument,

    async stop() {
      watchdog?.stop();
      // The SDK's own reconnects call start(), which waits for hello or a disconnect; rejected by our
      // disconnect they would be unhandled rejections, so they are left to wait for nothing instead.
      socketClient?.removeAllListeners('disconnected');
      await app?.stop();
      await lanes.idle();
    },
  };
}
