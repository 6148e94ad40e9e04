import { z } from 'zod';
import { idRefSchema } from '../core/access/access.js';
import { defineCommand } from '../core/router/command.js';
import { message } from '../core/chat/outbound.js';
import { levels } from '../core/access/levels.js';

export const allow = defineCommand({
  name: 'allow',
  summary: 'Grant a person a level, or let a chat use fleetbot',
  usage: '/allow user <platform:id> <viewer|operator|admin> · /allow chat <platform:id>',
  permission: 'admin',
  scope: 'admin',
  positional: ['what', 'id', 'level?'],
  args: z.discriminatedUnion(
    'what',
    [
      z
        .object({
          what: z.literal('user'),
          id: idRefSchema,
          level: z.enum(levels, { error: 'The level is viewer, operator or admin.' }),
        })
        .strict(),
      z.object({ what: z.literal('chat'), id: idRefSchema }).strict(),
    ],
    { error: 'Say what to allow: user or chat.' },
  ),
  run: async (ctx, args) =>
    message(
      args.what === 'user'
        ? ctx.services.access.grant(ctx, args.id, args.level)
        : ctx.services.access.allowChat(args.id),
    ),
});

export const revoke = defineCommand({
  name: 'revoke',
  summary: 'Take a person’s access away, or stop a chat from using fleetbot',
  usage: '/revoke user <platform:id> · /revoke chat <platform:id>',
  permission: 'admin',
  scope: 'admin',
  positional: ['what', 'id'],
  args: z.discriminatedUnion(
    'what',
    [
      z.object({ what: z.literal('user'), id: idRefSchema }).strict(),
      z.object({ what: z.literal('chat'), id: idRefSchema }).strict(),
    ],
    { error: 'Say what to revoke: user or chat.' },
  ),
  run: async (ctx, args) =>
    message(
      args.what === 'user'
        ? ctx.services.access.revoke(ctx, args.id)
        : ctx.services.access.disallowChat(args.id),
    ),
});
