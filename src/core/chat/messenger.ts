import {
  ChatUnreachableError,
  type Bridge,
  type ChatRef,
  type MessageRef,
  type Outbound,
  type Platform,
  type SendOptions,
} from './types.js';
import { cleanOutbound } from './text.js';

/**
 * Core's single way out to chats: routes each message to the bridge of its platform, and stops writing
 * to chats known to be unreachable (the bot was blocked or removed) instead of failing there again.
 * Every message is cleaned of controls and invisible characters on the way, whoever wrote its text.
 */
export function createMessenger(
  bridges: Bridge[],
  opts: { isUnreachable?: (chat: ChatRef) => boolean } = {},
) {
  const byPlatform = new Map<Platform, Bridge>(bridges.map((b) => [b.platform, b]));
  const bridgeFor = (platform: Platform): Bridge => {
    const bridge = byPlatform.get(platform);
    if (!bridge) throw new Error(`no bridge is running for ${platform}`);
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
    limits: (platform: Platform) => bridgeFor(platform).limits,
    username: (platform: Platform): string | undefined => byPlatform.get(platform)?.username,
  };
}
export type Messenger = ReturnType<typeof createMessenger>;
