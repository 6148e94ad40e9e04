import { z } from 'zod';
import { defineCommand } from '../core/router/command.js';
import { message } from '../core/chat/outbound.js';

export const cancel = defineCommand({
  name: 'cancel',
  summary: 'Cancel a queued or running job (a running one is rolled back)',
  usage: '/cancel <job>',
  permission: 'operator',
  positional: ['job'],
  args: z
    .object({
      job: z
        .string()
        .regex(/^#?\d{1,12}$/, 'Give the job number, e.g. /cancel 12 (see /jobs).')
        .transform((s) => Number(s.replace('#', ''))),
    })
    .strict(),
  run: async (ctx, { job }) => {
    switch (ctx.services.jobs.cancel(job, ctx)) {
      case 'cancelled':
        return message(`Job #${job} was cancelled before it started.`);
      case 'stopping':
        return message(
          `Stopping job #${job}; whatever it created is being removed. Its card shows the result.`,
        );
      case 'not-active':
        return message(`Job #${job} has already finished; there is nothing to cancel.`);
    }
  },
});
