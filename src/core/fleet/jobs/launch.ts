import type { z } from 'zod';
import type { ChatRef } from '../../chat/types.js';
import type { JobWording } from '../../jobs/card.js';
import { rollbackReason } from '../../jobs/restart.js';
import type { JobService } from '../../jobs/service.js';
import { errorMessage } from '../../runtime/errors.js';
import type { Logger } from '../../runtime/logging.js';
import type { Store } from '../../store/index.js';
import type { Job } from '../../store/jobs.js';
import { cleanupHint, withCreated } from './agentJob.js';
import type { BuiltJob, JobDeps, JobKind } from './define.js';
import { jobKindNamed } from './index.js';

export type Origin = { requester: string; chat: ChatRef };

/**
 * Jobs of the registered kinds: submitted from their params, and after a restart built again from the
 * params the store holds, the same way.
 */
export function createJobLauncher(deps: { store: Store; jobs: JobService; jobDeps: JobDeps; log: Logger }) {
  const { store, jobs, jobDeps } = deps;

  const buildStored = (job: Job): BuiltJob => {
    const kind = jobKindNamed(job.kind);
    if (!kind) throw new Error(`there is no job kind "${job.kind}" in this version of fleetbot`);
    return kind.load(job.params, jobDeps);
  };

  /** How a job that cannot be built presents itself on its card. */
  const plainWording = (job: Job): JobWording => ({
    title: `${job.kind} ${job.subject}`,
    retryHint: '',
    cleanupHint: job.agentId === null ? ['Run the command again when ready.'] : cleanupHint(job.subject),
  });

  /** A job that cannot be taken up: failed, saying why; its agent broken, what it made kept on record. */
  const strand = (job: Job, reason: string): void =>
    store.transaction(() => {
      store.jobs.finish(job.id, 'failed', `fleetbot could not take this job up after a restart: ${reason}`);
      const agent = job.agentId === null ? undefined : store.agents.byId(job.agentId);
      if (!agent) return;
      const created = store.steps.forJob(job.id).flatMap((s) => (s.output ? [s.output] : []));
      store.agents.update(agent.id, { status: 'broken', resources: withCreated(agent, created) });
    });

  return {
    /** Records the job with its params, posts its card and queues it. */
    submit<S extends z.ZodType>(kind: JobKind<S>, params: z.input<S>, origin: Origin): Job {
      // Built from the params as the store will hold them, so taking the job up again builds the same job.
      const stored = JSON.parse(JSON.stringify(params)) as Record<string, unknown>;
      return jobs.submit({
        kind: kind.kind,
        params: stored,
        requester: origin.requester,
        chat: origin.chat,
        ...kind.load(stored, jobDeps),
      });
    },

    /** How a job's card presents it when drawn again after a restart: as submitted, where it can be built. */
    wordingOf(job: Job): JobWording {
      try {
        return buildStored(job).wording;
      } catch {
        return plainWording(job);
      }
    },

    /**
     * At start, once the bridges run: every job a previous process left unfinished (killed, or paused
     * for a restart) is taken up on its own card. It carries on after its last finished step when
     * that is safe, and is rolled back otherwise (or when it was already rolling back). A job that
     * cannot be built (its kind or params do not fit, its role or provider is gone) is marked failed
     * with the reason and returned, its agent broken.
     */
    resumeUnfinished(): { resumed: Job[]; rolledBack: Job[]; stranded: Job[] } {
      const unfinished = [
        ...store.jobs.withStatus('running'),
        ...store.jobs.withStatus('queued'),
        ...store.jobs.withStatus('paused'),
      ];
      const result = { resumed: [] as Job[], rolledBack: [] as Job[], stranded: [] as Job[] };
      for (const job of unfinished) {
        let built: BuiltJob;
        try {
          built = buildStored(job);
        } catch (err) {
          deps.log.warn({ err, jobId: job.id }, 'cannot take up an unfinished job');
          strand(job, errorMessage(err));
          result.stranded.push(job);
          continue;
        }
        const rollback = rollbackReason(built.plan, store.steps.forJob(job.id));
        const note = rollback
          ? '↩ Rolled back after a restart of fleetbot'
          : '↻ Resumed after a restart of fleetbot';
        const request = {
          ...built,
          kind: job.kind,
          params: job.params,
          requester: job.requester,
          chat: job.chat,
        };
        jobs.resume(job, { ...request, wording: { ...built.wording, note } }, rollback);
        (rollback ? result.rolledBack : result.resumed).push(job);
      }
      return result;
    },
  };
}
export type JobLauncher = ReturnType<typeof createJobLauncher>;
