import type { BridgeHost } from '../../src/core/chat/types.js';

/** A host that remembers cursors in memory and records what a bridge reported. */
export function memoryHost() {
  const cursors = new Map<string, string>();
  const events: string[] = [];
  const host: BridgeHost = {
    loadCursor: (key) => cursors.get(key),
    saveCursor: (key, value) => void cursors.set(key, value),
    chatMigrated: (from, to) => void events.push(`migrated ${from.chatId} -> ${to.chatId}`),
    chatUnreachable: (chat, reason) => void events.push(`unreachable ${chat.chatId}: ${reason}`),
    // Chat bridges never call commands for programs; a bridge that did would be caught here.
    call: () => Promise.reject(new Error('a chat bridge called a command as a program')),
    checkKey: () => {
      throw new Error('a chat bridge checked an API key');
    },
    admins: () => [],
  };
  return { host, cursors, events };
}
