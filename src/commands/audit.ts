import { z } from 'zod';
import { defineCommand } from '../core/router/command.js';
import { clockTime } from '../core/chat/format.js';
import { bold, code, message } from '../core/chat/outbound.js';

export const audit = defineCommand({
  name: 'audit',
  summary: 'Show the latest audit entries (who did what, when)',
  usage: '/audit [n]',
  permission: 'admin',
  scope: 'admin',
  positional: ['n?'],
  args: z
    .object({
      n: z.coerce
        .number({ error: 'n is a number of entries, e.g. /audit 50' })
        .int()
        .min(1)
        .max(200, 'at most 200 entries')
        .default(20),
    })
    .strict(),
  run: async (ctx, { n }) => {
    const rows = ctx.services.store.audit.recent(n);
    return message(
      bold(`Last ${rows.length} audit entries`),
      ...rows.map((r) => [
        `${new Date(r.at).toISOString().slice(0, 10)} ${clockTime(r.at)} `,
        code(`${r.platform}:${r.userId}`),
        ` ${r.action} → ${r.outcome}${r.detail ? ` (${r.detail})` : ''}`,
      ]),
    );
  },
});
