import { z } from 'zod';
import { agentNameSchema } from '../core/agentName.js';
import { defineCommand } from '../core/command.js';

export const deploy = defineCommand({
  name: 'deploy',
  summary: 'Create an agent of a role and start it',
  usage: '/deploy <role> <name> [--provider P]',
  permission: 'operator',
  positional: ['role', 'name'],
  flags: { provider: { type: 'value' } },
  args: z
    .object({ role: z.string().max(64), name: agentNameSchema, provider: z.string().max(32).optional() })
    .strict(),
  run: async (ctx, args) => {
    ctx.services.fleet.deploy({
      role: args.role,
      name: args.name,
      ...(args.provider ? { provider: args.provider } : {}),
      requester: ctx.principal,
      chat: ctx.chat,
    });
  },
});
