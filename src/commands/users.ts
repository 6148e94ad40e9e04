import { z } from 'zod';
import { defineCommand } from '../core/router/command.js';
import { clockTime, duration } from '../core/chat/format.js';
import { bold, code, message } from '../core/chat/outbound.js';

export const users = defineCommand({
  name: 'users',
  summary: 'Who has which level, since when and from whom; and the allowed chats',
  usage: '/users',
  permission: 'admin',
  scope: 'admin',
  positional: [],
  args: z.object({}).strict(),
  run: async (ctx) => {
    const { store, now } = ctx.services;
    const people = store.principals.list();
    const chats = store.chats.allowed();
    return message(
      bold(`People (${people.length})`),
      ...people.map((p) => [
        code(`${p.platform}:${p.userId}`),
        ` ${p.level} · ${p.source === 'config' ? 'from FLEETBOT_ADMINS' : `granted by ${p.grantedBy ?? p.source}`} · ${duration(now() - p.grantedAt)} ago`,
      ]),
      bold(`Allowed chats (${chats.length})`),
      ...(chats.length
        ? chats.map((c) => [
            code(`${c.platform}:${c.chatId}`),
            ` ${c.source === 'config' ? 'from FLEETBOT_CHATS' : 'allowed in chat'}`,
          ])
        : ['(none)']),
      `As of ${clockTime(now())}.`,
    );
  },
});
