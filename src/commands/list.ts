import { z } from 'zod';
import { defineCommand, withRecord } from '../core/router/command.js';
import { agentRecord } from '../core/api/records.js';
import { bold, code, message } from '../core/chat/outbound.js';
import { agentFilterSchema, agentMatcher, narrows, wantsGone } from '../core/fleet/agentFilter.js';

const value = { type: 'value' } as const;

export const list = defineCommand({
  name: 'list',
  summary:
    'List agents (--all includes destroyed ones; filter by --role, --owner, --provider, --status, --since, --until)',
  usage:
    '/list [--all] [--role R] [--owner O|me] [--provider P] [--status S] [--since DATE|7d] [--until DATE|7d]',
  permission: 'viewer',
  scope: 'agents:read',
  positional: [],
  flags: {
    all: { type: 'boolean' },
    role: value,
    owner: value,
    provider: value,
    status: value,
    since: value,
    until: value,
  },
  args: agentFilterSchema.extend({ all: z.boolean().default(false) }).strict(),
  run: async (ctx, { all, ...filter }) => {
    const matches = agentMatcher(filter, { now: ctx.services.now(), me: ctx.principal });
    const agents = ctx.services.fleet.list({ includeGone: all || wantsGone(filter) }).filter(matches);
    const record = { agents: agents.map((a) => agentRecord(a)) };
    if (agents.length === 0 && narrows(filter)) {
      return withRecord(
        record,
        message('No agents match.', ['See them all with ', code(all ? '/list --all' : '/list'), '.']),
      );
    }
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
