import type { Logger } from '../runtime/logging.js';
import type { Store } from '../store/index.js';
import type { BridgeHost } from './types.js';
import type { Router } from '../router/router.js';
import { authenticateApiKey } from '../access/apiKeys.js';

export function createBridgeHost(
  store: Store,
  log: Logger,
  router: Pick<Router, 'call'>,
  now: () => number,
): BridgeHost {
  return {
    call: (request) => router.call(request),
    checkKey: (key) => authenticateApiKey(store, now, key).ok,
    admins: (platform) =>
      store.principals
        .admins()
        .filter((p) => p.platform === platform)
        .map((p) => p.userId),
    loadCursor: (key) => store.cursors.get(key),
    saveCursor: (key, value) => store.cursors.set(key, value),
    chatMigrated(from, to) {
      store.chats.migrate(from.platform, from.chatId, to.chatId);
      log.warn(
        { from: from.chatId, to: to.chatId, platform: from.platform },
        'chat changed its id; its allowlist entry and jobs moved. If FLEETBOT_CHATS lists the old id, replace it with the new one',
      );
    },
    chatUnreachable(chat, reason) {
      store.chats.setReachable(chat.platform, chat.chatId, false);
      log.warn(
        { chat, reason },
        'chat is unreachable; fleetbot stops writing there until someone writes from it again',
      );
    },
  };
}
