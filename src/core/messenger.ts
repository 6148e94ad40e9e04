import type { Bridge, ChatRef, MessageRef, Outbound, Platform } from './types.js';

/** Core's single way out to chats: routes each message to the bridge of its platform. */
export function createMessenger(bridges: Bridge[]) {
  const byPlatform = new Map<Platform, Bridge>(bridges.map((b) => [b.platform, b]));
  const bridgeFor = (platform: Platform): Bridge => {
    const bridge = byPlatform.get(platform);
    if (!bridge) throw new Error(`no bridge is running for ${platform}`);
    return bridge;
  };
  return {
    send: (chat: ChatRef, message: Outbound): Promise<MessageRef> =>
      bridgeFor(chat.platform).send(chat, message),
    edit: (ref: MessageRef, message: Outbound): Promise<void> =>
      bridgeFor(ref.chat.platform).edit(ref, message),
    limits: (platform: Platform) => bridgeFor(platform).limits,
    username: (platform: Platform): string | undefined => byPlatform.get(platform)?.username,
  };
}
export type Messenger = ReturnType<typeof createMessenger>;
