import { z } from 'zod';
import { defineCommand } from '../core/router/command.js';
import { jobAccepted } from '../core/jobs/accepted.js';
import { jobNumberSchema } from '../core/jobs/jobNumber.js';
import { message } from '../core/chat/outbound.js';

export const cancel = defineCommand({
  name: 'cancel',
  summary: 'Cancel a queued or running job (a running one is rolled back)',
  usage: '/cancel <job>',
  permission: 'operator',
  scope: 'agents:deploy',
  positional: ['job'],
  args: z
    .object({
      job: jobNumberSchema('/cancel 12'),
    })
    .strict(),
  run: async (ctx, { job }) => {
    const said = {
      cancelled: `Job #${job} was cancelled before it started.`,
      stopping: `Stopping job #${job}; whatever it created is being removed. Its card shows the result.`,
      'not-active': `Job #${job} has already finished; there is nothing to cancel.`,
    }[ctx.services.jobs.cancel(job, ctx)];
    return { ...jobAccepted(ctx.services, job), text: message(said) };
  },
});
