import {
  principalKey,
  type Bridge,
  type ChatRef,
  type Inbound,
  type InboundHandler,
  type MessageRef,
  type Outbound,
  type Platform,
  type SendOptions,
} from '../../src/core/chat/types.js';
import { plainText } from '../../src/core/chat/outbound.js';

/** `onlyFor`: the person the router addressed it to alone (SendOptions), if any. */
export type Sent = { ref: MessageRef; versions: Outbound[]; onlyFor?: string };

/**
 * A bridge that keeps every message in memory, for tests of core behaviour that do not depend on a
 * platform. Platform behaviour is tested through the real bridges against their fakes.
 */
export function memoryBridge(
  platform: Platform = 'telegram',
  limits = { maxTextLength: 4096, minEditIntervalMs: 0 },
) {
  let deliver: InboundHandler | undefined;
  let next = 1;
  const sent: Sent[] = [];
  const bridge: Bridge = {
    platform,
    limits,
    username: 'FleetTestBot',
    start: async (d) => {
      deliver = d;
    },
    send: async (chat: ChatRef, message: Outbound, opts?: SendOptions) => {
      const ref = { chat, messageId: String(next++) };
      sent.push({
        ref,
        versions: [message],
        ...(opts?.onlyFor ? { onlyFor: principalKey(opts.onlyFor) } : {}),
      });
      return ref;
    },
    edit: async (ref, message) => {
      const found = sent.find((s) => s.ref.messageId === ref.messageId);
      if (!found) throw new Error(`edit of unknown message ${ref.messageId}`);
      found.versions.push(message);
    },
    stop: async () => undefined,
  };
  return {
    bridge,
    sent,
    /** What a person sees in a chat: the latest text of each message, oldest first. */
    texts: (chatId?: string): string[] =>
      sent.filter((s) => !chatId || s.ref.chat.chatId === chatId).map((s) => plainText(s.versions.at(-1)!)),
    last: (): Sent | undefined => sent.at(-1),
    inject: async (inbound: Inbound) => {
      if (!deliver) throw new Error('bridge not started');
      return deliver(inbound);
    },
  };
}
