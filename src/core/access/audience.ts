import { chatKey, type ChatRef } from '../chat/types.js';
import type { Agent } from '../store/agents.js';
import type { Store } from '../store/index.js';

/**
 * Who is told what nobody in the chat just asked for (alert cards and their edits, failed jobs,
 * reconciliation reports). Asked at every send, never cached: a chat taken off the allowlist, or a
 * person whose access was revoked, stops receiving at once, even before their subscriptions are
 * dropped.
 */
export function createAudience(store: Store) {
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
    mayReceive: (chat: ChatRef): boolean =>
      store.chats.get(chat.platform, chat.chatId)?.allowed === true ||
      store.subscriptions.live().some((s) => chatKey(s.chat) === chatKey(chat)),
  };
}
export type Audience = ReturnType<typeof createAudience>;
