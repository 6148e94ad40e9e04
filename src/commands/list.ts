import { z } from 'zod';
import { defineCommand } from '../core/router/command.js';
import { bold, code, message } from '../core/chat/outbound.js';

export const list = defineCommand({
  name: 'list',
  summary: 'List agents (--all includes destroyed ones)',
  usage: '/list [--all]',
  permission: 'viewer',
  positional: [],
  flags: { all: { type: 'boolean' } },
  args: z.object({ all: z.boolean().default(false) }).strict(),
  run: async (ctx, args) => {
    const agents = ctx.services.fleet.list({ includeGone: args.all });
    if (agents.length === 0) {
      return message('No agents yet.', [
        'Deploy one with ',
        code('/deploy swe <name>'),
        '; ',
        code('/roles'),
        ' lists roles.',
      ]);
    }
    return message(
      bold(`Agents (${agents.length})`),
      ...agents.map((a) => [
        code(a.name),
        ` ${a.role} · ${a.provider} · ${a.status}${a.url && a.status === 'running' ? ` · ${a.url}` : ''}`,
      ]),
    );
  },
});
