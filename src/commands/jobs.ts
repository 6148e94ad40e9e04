import { z } from 'zod';
import { defineCommand, withRecord } from '../core/router/command.js';
import { jobAccepted } from '../core/jobs/accepted.js';
import { currentJobRecord } from '../core/jobs/events.js';
import { jobNumberSchema } from '../core/jobs/jobNumber.js';
import { renderJobCard } from '../core/jobs/card.js';
import { UserError } from '../core/runtime/errors.js';
import { duration } from '../core/chat/format.js';
import { bold, code, message } from '../core/chat/outbound.js';

export const jobs = defineCommand({
  name: 'jobs',
  summary: 'List recent jobs, or show one with its steps',
  usage: '/jobs [job]',
  permission: 'viewer',
  scope: 'agents:read',
  positional: ['job?'],
  args: z.object({ job: jobNumberSchema('/jobs 12').optional() }).strict(),
  run: async (ctx, { job: jobId }) => {
    const { store, now } = ctx.services;
    if (jobId !== undefined) {
      const job = store.jobs.byId(jobId);
      if (!job) throw new UserError(`There is no job #${jobId}. /jobs lists recent jobs.`, 'not_found');
      const card = renderJobCard(
        job,
        store.steps.forJob(jobId),
        { title: `${job.kind} ${job.subject}`, retryHint: '', cleanupHint: [] },
        now(),
      );
      return { ...jobAccepted(ctx.services, jobId), accepted: false, text: card };
    }
    const recent = store.jobs.recent(15);
    const record = { jobs: recent.map((j) => currentJobRecord(store, j.id)) };
    if (recent.length === 0) return withRecord(record, message('No jobs yet.'));
    return withRecord(
      record,
      message(
        bold('Recent jobs'),
        ...recent.map((j) => [
          code(`#${j.id}`),
          ` ${j.kind} ${j.subject} · ${j.status} · ${duration(now() - j.createdAt)} ago`,
        ]),
      ),
    );
  },
});
