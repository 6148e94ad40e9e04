import type { Clock } from '../runtime/clock.js';
import type { ChatRef, Platform } from '../chat/types.js';
import type { Db } from './db.js';

/** What a chat receives alerts about: everything, a role, one agent, or (in a DM) its owner's agents. */
export type Scope =
  | { scope: 'all' }
  | { scope: 'role'; value: string }
  | { scope: 'agent'; value: string }
  | { scope: 'owner'; value: string };
export type Subscription = { chat: ChatRef } & Scope;

type Row = { chat_platform: Platform; chat_id: string; scope: Scope['scope']; value: string };

const toSubscription = (r: Row): Subscription => ({
  chat: { platform: r.chat_platform, chatId: r.chat_id },
  ...(r.scope === 'all' ? { scope: 'all' } : { scope: r.scope, value: r.value }),
});

/**
 * A subscription still counts while its chat may hear from fleetbot: a group or channel on the
 * allowlist, or a private chat (never allowed as a group, so no `source`) whose creator still has
 * access. A chat taken off the allowlist, or a person whose access was revoked, hears nothing more.
 */
const live = `
  EXISTS (SELECT 1 FROM chats c WHERE c.platform = s.chat_platform AND c.chat_id = s.chat_id AND c.allowed = 1)
  OR (
    NOT EXISTS (SELECT 1 FROM chats c WHERE c.platform = s.chat_platform AND c.chat_id = s.chat_id AND c.source IS NOT NULL)
    AND EXISTS (SELECT 1 FROM principals p WHERE p.platform || ':' || p.user_id = s.created_by)
  )`;

export function subscriptionsRepo(db: Db, clock: Clock) {
  const valueOf = (s: Scope): string => ('value' in s ? s.value : '');
  return {
    add(chat: ChatRef, s: Scope, by: string): void {
      db.prepare(
        'INSERT OR IGNORE INTO subscriptions (chat_platform, chat_id, scope, value, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(chat.platform, chat.chatId, s.scope, valueOf(s), by, clock.now());
    },
    remove(chat: ChatRef, s: Scope | undefined): number {
      if (!s) {
        return db
          .prepare('DELETE FROM subscriptions WHERE chat_platform = ? AND chat_id = ?')
          .run(chat.platform, chat.chatId).changes;
      }
      return db
        .prepare(
          'DELETE FROM subscriptions WHERE chat_platform = ? AND chat_id = ? AND scope = ? AND value = ?',
        )
        .run(chat.platform, chat.chatId, s.scope, valueOf(s)).changes;
    },
    forChat(chat: ChatRef): Subscription[] {
      return db
        .prepare<[string, string], Row>(
          'SELECT * FROM subscriptions WHERE chat_platform = ? AND chat_id = ? ORDER BY scope, value',
        )
        .all(chat.platform, chat.chatId)
        .map(toSubscription);
    },
    /** The subscriptions whose chats may still be told; asked at every send, so revocation is immediate. */
    live(): Subscription[] {
      return db.prepare<[], Row>(`SELECT * FROM subscriptions s WHERE ${live}`).all().map(toSubscription);
    },
    /** Forgets the subscriptions of chats and people that lost their access; returns how many. */
    dropRevoked(): number {
      return db.prepare(`DELETE FROM subscriptions AS s WHERE NOT (${live})`).run().changes;
    },
  };
}
export type SubscriptionsRepo = ReturnType<typeof subscriptionsRepo>;
