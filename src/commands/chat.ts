import { z } from 'zod';
import { agentNameSchema } from '../core/fleet/agentName.js';
import { code, message } from '../core/chat/outbound.js';
import { defineCommand } from '../core/router/command.js';
import { UserError } from '../core/runtime/errors.js';

export const chat = defineCommand({
  name: 'chat',
  summary: 'In a private chat: send your plain messages to an agent until /chat off',
  usage: '/chat <name>  ·  /chat off',
  permission: 'viewer',
  scope: 'agents:chat',
  positional: ['name'],
  args: z.object({ name: agentNameSchema.or(z.literal('off')) }).strict(),
  run: async (ctx, { name }) => {
    if (!ctx.direct)
      throw new UserError(
        '/chat works in a private chat with me. Here, use /ask <name> <prompt>, and reply to the answer to carry on.',
      );
    const conversations = ctx.services.conversations;
    if (name === 'off') {
      const was = conversations.chattingWith(ctx);
      conversations.chatWith(ctx, undefined);
      return message(
        was === undefined
          ? 'You were not chatting with an agent here.'
          : 'Chat mode is off: plain messages here are no longer sent to an agent.',
      );
    }
    const agent = ctx.services.fleet.find(name);
    conversations.chatWith(ctx, agent);
    return message(`Your messages here now go to ${agent.name}; each answer streams in as it is written. `, [
      'Send ',
      code('/chat off'),
      ' to stop, ',
      code(`/stop ${agent.name}`),
      ' to cancel an answer.',
    ]);
  },
});
