import { z } from 'zod';
import { agentNameSchema } from '../core/fleet/agentName.js';
import { defineCommand } from '../core/router/command.js';

export const deploy = defineCommand({
  name: 'deploy',
  summary: 'Create an agent of a role and start it',
  usage: '/deploy <role> <name> [--provider P] [--type T] [--location L] [--host H]',
  permission: 'operator',
  positional: ['role', 'name'],
  flags: {
    provider: { type: 'value' },
    type: { type: 'value' },
    location: { type: 'value' },
    host: { type: 'value' },
  },
  args: z
    .object({
      role: z.string().max(64),
      name: agentNameSchema,
      provider: z.string().max(32).optional(),
      type: z
        .string()
        .regex(/^[a-z0-9-]{1,32}$/, '--type is a server type name such as cx23')
        .optional(),
      location: z
        .string()
        .regex(/^[a-z0-9-]{1,32}$/, '--location is a location name such as nbg1')
        .optional(),
      host: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, '--host is a host name from FLEETBOT_SSH_HOSTS such as lab1')
        .optional(),
    })
    .strict(),
  run: async (ctx, args) => {
    await ctx.services.fleet.deploy({
      role: args.role,
      name: args.name,
      ...(args.provider ? { provider: args.provider } : {}),
      options: {
        ...(args.type ? { serverType: args.type } : {}),
        ...(args.location ? { location: args.location } : {}),
        ...(args.host ? { host: args.host } : {}),
      },
      requester: ctx.principal,
      chat: ctx.chat,
    });
  },
});
