import { z } from 'zod';
import { agentNameSchema } from '../core/fleet/agentName.js';
import { message } from '../core/chat/outbound.js';
import { defineCommand } from '../core/router/command.js';

export const stop = defineCommand({
  name: 'stop',
  summary: 'Cancel an agent’s answer in progress (and prompts queued behind it) in this chat',
  usage: '/stop <name>',
  permission: 'viewer',
  scope: 'agents:chat',
  positional: ['name'],
  args: z.object({ name: agentNameSchema }).strict(),
  run: async (ctx, { name }) => {
    const agent = ctx.services.fleet.find(name);
    const stopped = ctx.services.conversations.stop(ctx, agent);
    if (stopped === 0) return message(`${agent.name} is not answering anything in this chat.`);
    return message(
      `Stopping ${agent.name}: ${stopped === 1 ? 'its answer ends' : `${stopped} answers end`} where it got to.`,
    );
  },
});
