import { z } from 'zod';
import { defineCommand } from '../core/router/command.js';
import { duration } from '../core/chat/format.js';
import { bold, code, message } from '../core/chat/outbound.js';

export const jobs = defineCommand({
  name: 'jobs',
  summary: 'List recent jobs',
  usage: '/jobs',
  permission: 'viewer',
  positional: [],
  args: z.object({}).strict(),
  run: async (ctx) => {
    const { store, now } = ctx.services;
    const recent = store.jobs.recent(15);
    if (recent.length === 0) return message('No jobs yet.');
    return message(
      bold('Recent jobs'),
      ...recent.map((j) => [
        code(`#${j.id}`),
        ` ${j.kind} ${j.subject} · ${j.status} · ${duration(now() - j.createdAt)} ago`,
      ]),
    );
  },
});
