import { z } from 'zod';
import { defineCommand } from '../core/router/command.js';
import { code, message } from '../core/chat/outbound.js';

export const whoami = defineCommand({
  name: 'whoami',
  summary: 'Show your id, this chat’s id and your access level',
  usage: '/whoami',
  permission: 'viewer',
  scope: 'agents:read',
  positional: [],
  args: z.object({}).strict(),
  run: async (ctx) =>
    message(
      ['You: ', code(ctx.principal), ctx.user.name ? ` (${ctx.user.name})` : ''],
      ['This chat: ', code(`${ctx.chat.platform}:${ctx.chat.chatId}`)],
      `Level: ${ctx.level}`,
    ),
});
