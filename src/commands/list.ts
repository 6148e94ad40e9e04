import { z } from 'zod';
import { defineCommand, withRecord } from '../core/router/command.js';
import { agentRecord } from '../core/api/records.js';
import { bold, code, message } from '../core/chat/outbound.js';

export const list = defineCommand({
  name: 'list',
  summary: 'List agents (--all includes destroyed ones)',
  usage: '/list [--all]',
  permission: 'viewer',
  scope: 'agents:read',
  positional: [],
  flags: { all: { type: 'boolean' } },
  args: z.object({ all: z.boolean().default(false) }).strict(),
  run: async (ctx, args) => {
    const agents = ctx.services.fleet.list({ includeGone: args.all });
    const record = { agents: agents.map((a) => agentRecord(a)) };
    if (agents.length === 0) {
      return withRecord(
        record,
        message('No agents yet.', [
          'Deploy one with ',
          code('/deploy swe <name>'),
          '; ',
          code('/roles'),
          ' lists roles.',
        ]),
      );
    }
    return withRecord(
      record,
      message(
        bold(`Agents (${agents.length})`),
        ...agents.map((a) => [
          code(a.name),
          ` ${a.role} · ${a.provider} · ${a.status}${a.url && a.status === 'running' ? ` · ${a.url}` : ''}`,
        ]),
      ),
    );
  },
});
