import { z } from 'zod';
import { agentNameSchema } from '../core/fleet/agentName.js';
import { defineCommand, withRecord } from '../core/router/command.js';
import { bold, code, message } from '../core/chat/outbound.js';

export const logs = defineCommand({
  name: 'logs',
  summary: 'Show the last lines of an agent’s log',
  usage: '/logs <name> [-n N]',
  permission: 'viewer',
  scope: 'agents:read',
  positional: ['name'],
  flags: { n: { type: 'value', short: 'n' } },
  args: z
    .object({
      name: agentNameSchema,
      n: z.coerce
        .number({ error: '-n must be a number of lines, e.g. -n 50' })
        .int()
        .min(1)
        .max(500, '-n is at most 500 lines')
        .default(30),
    })
    .strict(),
  run: async (ctx, { name, n }) => {
    const agent = ctx.services.fleet.find(name);
    const lines = await ctx.services.fleet.logs(agent, n);
    const record = { agent: agent.name, lines };
    if (lines.length === 0) return withRecord(record, message(`${name} has not logged anything yet.`));
    return withRecord(
      record,
      message(bold(`Last ${lines.length} log lines of ${name}`), ...lines.map((l) => code(l))),
    );
  },
});
