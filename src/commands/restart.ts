import { z } from 'zod';
import { agentNameSchema } from '../core/fleet/agentName.js';
import { defineCommand } from '../core/router/command.js';
import { jobAccepted } from '../core/jobs/accepted.js';

export const restart = defineCommand({
  name: 'restart',
  summary: 'Restart an agent and wait until it is healthy',
  usage: '/restart <name>',
  permission: 'operator',
  scope: 'agents:deploy',
  positional: ['name'],
  args: z.object({ name: agentNameSchema }).strict(),
  run: async (ctx, { name }) => {
    const agent = ctx.services.fleet.find(name);
    const job = ctx.services.fleet.restart({ agent, requester: ctx.principal, chat: ctx.chat });
    return jobAccepted(ctx.services, job.id);
  },
});
