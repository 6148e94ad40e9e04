import { z } from 'zod';
import { UserError } from '../runtime/errors.js';
import { code, message } from '../chat/outbound.js';
import type { Store } from '../store/index.js';
import { levelRank, type Level } from './levels.js';
import type { ApiScope } from './apiScopes.js';
import {
  platformIdPattern,
  principalKey,
  type ChatRef,
  type Inbound,
  type Outbound,
  type Platform,
  type Span,
  type UserRef,
} from '../chat/types.js';

/**
 * Who is asking, at what level. `scopes` only for a program (an API key, or `fleetbot mcp` as the
 * console's admin with `admin`): what the key allows narrows what its level would (a key with
 * `agents:deploy` is an operator who may not destroy).
 */
export type Caller = {
  user: UserRef;
  chat: ChatRef;
  level: Level;
  principal: string;
  scopes?: readonly ApiScope[];
};

const platformId = platformIdPattern('-?[A-Za-z0-9_.]{1,64}');

/** A person or chat named by platform id, as /allow and /revoke take them; never a username. */
export const idRefSchema = z.string().transform((s, ctx) => {
  const m = platformId.exec(s);
  if (!m) {
    ctx.addIssue({
      code: 'custom',
      message: s.startsWith('@')
        ? `Use the numeric id, not the username ${s.slice(0, 40)}: ask them to send /whoami, or read it from the refusal they got.`
        : `"${s.slice(0, 40)}" is not an id like telegram:123456789 or slack:U0123ABCD.`,
    });
    return z.NEVER;
  }
  if (m[1] === 'api') {
    ctx.addIssue({
      code: 'custom',
      message: `${s.slice(0, 40)} is an API key: its scopes give its level. /keys lists them; make a new key for other scopes.`,
    });
    return z.NEVER;
  }
  return { platform: m[1] as Platform, id: m[2]! };
});
export type IdRef = z.output<typeof idRefSchema>;

/** Who may do what: the allowlist and levels. One place, used by the router. */
export function createAccess(store: Store) {
  const idsOf = (user: UserRef, chat: ChatRef): (string | Span)[] => [
    'your id: ',
    code(principalKey(user)),
    ', this chat: ',
    code(`${chat.platform}:${chat.chatId}`),
  ];

  /** Up to three admins a person can ask, by id (names are not stored, ids are what /allow takes). */
  const adminsToAsk = (): string => {
    const admins = store.principals.admins().filter((a) => a.platform !== 'console');
    if (admins.length === 0) return 'an admin (set FLEETBOT_ADMINS, or pair one: see the README)';
    const shown = admins.slice(0, 3).map((a) => `${a.platform}:${a.userId}`);
    return `an admin (${shown.join(', ')}${admins.length > 3 ? ', …' : ''})`;
  };

  return {
    adminsToAsk,

    /** Who is asking, at what level; or the refusal that tells them their ids and whom to ask. */
    identify(inbound: Inbound): { ok: true; caller: Caller } | { ok: false; refusal: Outbound } {
      const { user, chat } = inbound;
      const principal = store.principals.get(user.platform, user.userId);
      const chatAllowed = inbound.direct || store.chats.get(chat.platform, chat.chatId)?.allowed === true;
      if (!chatAllowed) {
        return {
          ok: false,
          refusal: message('This chat is not allowed to use fleetbot.', [
            ...idsOf(user, chat),
            `. Ask ${adminsToAsk()} to send `,
            code(`/allow chat ${chat.platform}:${chat.chatId}`),
            '.',
          ]),
        };
      }
      // Members of an allowed group may look (viewer); doing anything needs a personal grant.
      const level: Level | undefined = principal?.level ?? (inbound.direct ? undefined : 'viewer');
      if (!level) {
        return {
          ok: false,
          refusal: message('You are not on fleetbot’s allowlist.', [
            ...idsOf(user, chat),
            `. Ask ${adminsToAsk()} to send `,
            code(`/allow user ${principalKey(user)} viewer`),
            '.',
          ]),
        };
      }
      return { ok: true, caller: { user, chat, level, principal: principalKey(user) } };
    },

    /** undefined when the caller has the level; otherwise the refusal naming the level and whom to ask. */
    refuseBelow(caller: Caller, needed: Level, what: string): Outbound | undefined {
      if (levelRank(caller.level) >= levelRank(needed)) return undefined;
      // A key's level comes from its scopes, never from /allow.
      if (caller.scopes)
        return message(
          `${what} needs the ${needed} level; the key ${caller.user.userId} has ${caller.level} (scopes ${caller.scopes.join(', ')}).`,
          ['Ask an admin for a key with a scope that gives it (', code('/keys create'), ').'],
        );
      return message(`${what} needs the ${needed} level; you are ${caller.level}.`, [
        `Ask ${adminsToAsk()} to send `,
        code(`/allow user ${caller.principal} ${needed}`),
        '.',
      ]);
    },

    /** Grants a level; takes effect with the next command. Config admins are managed in the config. */
    grant(by: Caller, target: IdRef, level: Level): string {
      const existing = store.principals.get(target.platform, target.id);
      if (existing?.source === 'config') {
        throw new UserError(
          `${target.platform}:${target.id} is an admin from FLEETBOT_ADMINS; change it there.`,
        );
      }
      store.principals.upsert({
        platform: target.platform,
        userId: target.id,
        level,
        source: 'chat',
        grantedBy: by.principal,
      });
      return existing
        ? `${target.platform}:${target.id} is now ${level} (was ${existing.level}).`
        : `${target.platform}:${target.id} is now ${level}.`;
    },

    revoke(by: Caller, target: IdRef): string {
      const existing = store.principals.get(target.platform, target.id);
      if (!existing)
        throw new UserError(
          `${target.platform}:${target.id} has no access; nothing to revoke. /users lists who has.`,
        );
      if (existing.source === 'config') {
        throw new UserError(
          `${target.platform}:${target.id} is an admin from FLEETBOT_ADMINS; remove it there and restart.`,
        );
      }
      const remoteAdmins = store.principals.admins().filter((a) => a.platform !== 'console');
      if (existing.level === 'admin' && remoteAdmins.length === 1) {
        throw new UserError(
          `${target.platform}:${target.id} is the last admin; grant admin to someone else first.`,
        );
      }
      store.transaction(() => {
        store.principals.remove(target.platform, target.id);
        store.subscriptions.dropRevoked();
      });
      return `${target.platform}:${target.id} no longer has access (was ${existing.level}, revoked by ${by.principal}).`;
    },

    allowChat(target: IdRef): string {
      store.chats.allow(target.platform, target.id, 'chat');
      return `Chat ${target.platform}:${target.id} is allowed; its members can use viewer commands.`;
    },

    disallowChat(target: IdRef): string {
      const disallowed = store.transaction(() => {
        const was = store.chats.disallow(target.platform, target.id);
        store.subscriptions.dropRevoked();
        return was;
      });
      if (!disallowed) {
        throw new UserError(`Chat ${target.platform}:${target.id} was not allowed; nothing to revoke.`);
      }
      return `Chat ${target.platform}:${target.id} is no longer allowed; its alert subscriptions are dropped.`;
    },
  };
}
export type Access = ReturnType<typeof createAccess>;
