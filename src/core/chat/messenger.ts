import {
  ChatUnreachableError,
  type AnswerStream,
  type Bridge,
  type ChatRef,
  type MessageRef,
  type Outbound,
  type Platform,
  type SendOptions,
  type StreamOptions,
} from './types.js';
import { cleanOutbound, stripControls } from './text.js';
import { createProgramChats } from './programChats.js';

/**
 * Core's single way out to chats: routes each message to the bridge of its platform, and stops writing
 * to chats known to be unreachable (the bot was blocked or removed) instead of failing there again.
 * Every message is cleaned of controls and invisible characters on the way, whoever wrote its text.
 */
export function createMessenger(
  bridges: Bridge[],
  opts: { isUnreachable?: (chat: ChatRef) => boolean } = {},
) {
  // Programs' chats have no bridge of their own: what is posted there is dropped (programChats.ts).
  const byPlatform = new Map<Platform, Bridge>([
    ['api', createProgramChats()],
    ...bridges.map((b): [Platform, Bridge] => [b.platform, b]),
  ]);
  const bridgeFor = (platform: Platform): Bridge => {
    const bridge = byPlatform.get(platform);
    // A platform with no bridge in this process (Telegram under `fleetbot mcp`): callers treat its chats
    // like a chat that blocked the bot.
    if (!bridge) throw new ChatUnreachableError(`no bridge is running for ${platform}`);
    return bridge;
  };
  const reachable = (chat: ChatRef): void => {
    if (opts.isUnreachable?.(chat))
      throw new ChatUnreachableError(`${chat.platform}:${chat.chatId} is unreachable`);
  };
  return {
    async send(chat: ChatRef, message: Outbound, opts?: SendOptions): Promise<MessageRef> {
      reachable(chat);
      return bridgeFor(chat.platform).send(chat, cleanOutbound(message), opts);
    },
    async edit(ref: MessageRef, message: Outbound): Promise<void> {
      reachable(ref.chat);
      return bridgeFor(ref.chat.platform).edit(ref, cleanOutbound(message));
    },
    /** The platform's native answer stream for this chat, cleaned like every message; undefined where there is none. */
    startStream(chat: ChatRef, streamOpts: StreamOptions): AnswerStream | undefined {
      reachable(chat);
      const stream = bridgeFor(chat.platform).startStream?.(chat, streamOpts);
      if (!stream) return undefined;
      return {
        update: (text) => stream.update(stripControls(text)),
        finish: (message, finishOpts) => stream.finish(cleanOutbound(message), finishOpts),
        abandon: () => stream.abandon(),
      };
    },
    sendsDocuments: (platform: Platform): boolean => bridgeFor(platform).sendDocument !== undefined,
    async sendDocument(
      chat: ChatRef,
      doc: { name: string; content: string; caption?: Outbound },
      sendOpts?: SendOptions,
    ): Promise<MessageRef> {
      reachable(chat);
      const bridge = bridgeFor(chat.platform);
      if (!bridge.sendDocument) throw new Error(`the ${chat.platform} bridge cannot send files`);
      return bridge.sendDocument(
        chat,
        {
          name: stripControls(doc.name),
          content: stripControls(doc.content),
          ...(doc.caption ? { caption: cleanOutbound(doc.caption) } : {}),
        },
        sendOpts,
      );
    },
    limits: (platform: Platform) => bridgeFor(platform).limits,
    username: (platform: Platform): string | undefined => byPlatform.get(platform)?.username,
    /** Whether a bridge for this platform runs, so its chats can be written to at all. */
    runs: (platform: Platform): boolean => byPlatform.has(platform),
  };
}
export type Messenger = ReturnType<typeof createMessenger>;
