import type { Store } from '../store/index.js';
import type { ChatRef, Platform, UserRef } from '../chat/types.js';

export type AuditRecord = (
  who: { user: Pick<UserRef, 'platform' | 'userId'>; chat: Pick<ChatRef, 'chatId'> },
  action: string,
  outcome: string,
  detail?: string,
) => void;

/** Appends one audit row: who (platform ids), where, what, and how it ended. */
export const auditLog =
  (store: Store): AuditRecord =>
  (who, action, outcome, detail) =>
    store.audit.append({
      platform: who.user.platform,
      userId: who.user.userId,
      chatId: who.chat.chatId,
      action,
      outcome,
      ...(detail === undefined ? {} : { detail: detail.slice(0, 300) }),
    });

/** The user part of a stored principal key such as "telegram:123". */
export function userOfKey(key: string): Pick<UserRef, 'platform' | 'userId'> {
  const at = key.indexOf(':');
  return { platform: key.slice(0, at) as Platform, userId: key.slice(at + 1) };
}
