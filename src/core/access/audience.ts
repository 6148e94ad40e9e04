import type { Messenger } from '../chat/messenger.js';
import { ChatUnreachableError, chatKey, type ChatRef, type UserRef } from '../chat/types.js';
import type { Agent } from '../store/agents.js';
import type { Store } from '../store/index.js';
import { isProgram } from './apiKeys.js';
import { userOfKey } from './auditLog.js';

/**
 * Who is told what nobody in the chat just asked for (alert cards and their edits, failed jobs,
 * reconciliation reports), and whether the chat something was asked from (a job's card, a card
 * waiting on a decision) may still be told about it. Asked at every send, never cached: a chat taken
 * off the allowlist, or a person whose access was revoked, stops receiving at once, even before their
 * subscriptions are dropped.
 */
export function createAudience(store: Store) {
  const mayReceive = (chat: ChatRef): boolean =>
    store.chats.get(chat.platform, chat.chatId)?.allowed === true ||
    store.subscriptions.live().some((s) => chatKey(s.chat) === chatKey(chat));
  const chatsOf = (subs: { chat: ChatRef }[]): ChatRef[] => [
    ...new Map(subs.map((s) => [chatKey(s.chat), s.chat])).values(),
  ];
  return {
    /** Chats following this agent (everything, its role, its name, or its owner's agents), each once. */
    followers: (agent: Agent): ChatRef[] =>
      chatsOf(
        store.subscriptions
          .live()
          .filter(
            (s) =>
              s.scope === 'all' ||
              (s.scope === 'role' && s.value === agent.role) ||
              (s.scope === 'agent' && s.value === agent.name) ||
              (s.scope === 'owner' && s.value === agent.owner),
          ),
      ),
    /** Chats that follow every agent: the team, told about orphans and lost agents. */
    team: (): ChatRef[] => chatsOf(store.subscriptions.live().filter((s) => s.scope === 'all')),
    /** Whether a card posted earlier to this chat may still be brought up to date. */
    mayReceive,
    /**
     * Whether the chat `asker` asked from may still be told about it: an allowed group or channel, or
     * a private chat (one never on the allowlist) while the asker still has access. What fleetbot
     * posted on its own (`fleetbot` asked) goes by the chat's subscriptions instead; what a program
     * asked for, by the chat's subscriptions or its own person's access.
     */
    mayTellAsker(chat: ChatRef, asker: string): boolean {
      const record = store.chats.get(chat.platform, chat.chatId);
      if (record?.allowed) return true;
      if (asker === 'fleetbot') return mayReceive(chat);
      const privateChatOf = (person: Pick<UserRef, 'platform' | 'userId'>): boolean =>
        !record?.source && store.principals.get(person.platform, person.userId) !== undefined;
      // A program has no chat of its own: what it asked for went to followers and to admins' private
      // chats (whose id is the person's), each told while it may receive or its person has access.
      if (isProgram(asker))
        return mayReceive(chat) || privateChatOf({ platform: chat.platform, userId: chat.chatId });
      return privateChatOf(userOfKey(asker));
    },
  };
}

/**
 * The messenger as one chat's audience sees it: a chat that may no longer be told is treated as
 * unreachable, so a live card stops there for good and nothing is sent or edited in it.
 */
export const withAudience = (messenger: Messenger, mayTell: (chat: ChatRef) => boolean): Messenger => {
  const check = (chat: ChatRef): void => {
    if (!mayTell(chat))
      throw new ChatUnreachableError(`${chat.platform}:${chat.chatId} may no longer be told`);
  };
  return {
    ...messenger,
    send: async (chat, message, opts) => {
      check(chat);
      return messenger.send(chat, message, opts);
    },
    edit: async (ref, message) => {
      check(ref.chat);
      return messenger.edit(ref, message);
    },
  };
};
export type Audience = ReturnType<typeof createAudience>;
