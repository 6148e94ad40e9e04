import { z } from 'zod';
import { defineCommand, type CommandSpec } from '../core/router/command.js';
import { bold, code, message } from '../core/chat/outbound.js';
import { levelRank } from '../core/access/levels.js';

/** /help lists the commands the caller may use; it needs the whole table, so the table passes itself in. */
export const makeHelp = (all: () => CommandSpec[]): CommandSpec =>
  defineCommand({
    name: 'help',
    summary: 'Show the commands you can use',
    usage: '/help',
    permission: 'viewer',
    scope: 'agents:read',
    positional: [],
    args: z.object({}).strict(),
    run: async (ctx) => {
      const mine = all().filter((c) => levelRank(c.permission) <= levelRank(ctx.level));
      return message(
        bold('fleetbot commands'),
        ...mine.map((c) => [code(c.usage), ` ${c.summary}`]),
        `You are ${ctx.level}.`,
      );
    },
  });
