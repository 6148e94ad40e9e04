import PQueue from 'p-queue';
import { sleep, type Clock } from '../runtime/clock.js';
import { auditLog, userOfKey } from '../access/auditLog.js';
import { createAudience, withAudience } from '../access/audience.js';
import { UserError } from '../runtime/errors.js';
import { createLiveMessage, type LiveMessage } from '../chat/liveMessage.js';
import type { Logger } from '../runtime/logging.js';
import type { Messenger } from '../chat/messenger.js';
import type { Store } from '../store/index.js';
import type { Agent } from '../store/agents.js';
import type { Job } from '../store/jobs.js';
import type { ChatRef } from '../chat/types.js';
import { renderJobCard, type JobWording } from './card.js';
import type { Plan } from './plan.js';
import { runPlan, type RunOutcome } from './runner.js';

export type JobRequest = {
  kind: string;
  /** What the job is about (an agent's name, "image swe"); one active job per subject. */
  subject: string;
  agent?: Agent;
  /** What is needed to build the same plan again after a restart. */
  params?: Record<string, unknown>;
  requester: string;
  chat: ChatRef;
  plan: Plan;
  wording: JobWording;
  /** Records the outcome where it belongs (the agent row); runs in the transaction that ends the job. */
  settle(outcome: RunOutcome): void;
};

type Running = { request: JobRequest; card: LiveMessage; abort: AbortController; rollback?: string };

/** How long a job waits for its card to be posted before it starts anyway (the chat may be down). */
const cardPostBoundMs = 5_000;

/** Queues jobs, runs their plans, keeps each job's card up to date, and records every outcome. */
export function createJobService(deps: {
  store: Store;
  messenger: Messenger;
  clock: Clock;
  log: Logger;
  concurrency: number;
}) {
  const { store, messenger, clock } = deps;
  const queue = new PQueue({ concurrency: deps.concurrency });
  const active = new Map<number, Running>();
  const audit = auditLog(store);
  const audience = createAudience(store);
  const listeners: ((job: Job, outcome: RunOutcome) => Promise<void>)[] = [];
  const pause = new AbortController();
  const executions = new Set<Promise<void>>();

  const watchers = new Map<number, Set<() => void>>();
  const refresh = (jobId: number): void => {
    for (const watcher of watchers.get(jobId) ?? []) watcher();
    const entry = active.get(jobId);
    const job = store.jobs.byId(jobId);
    if (!entry || !job) return;
    entry.card.update(renderJobCard(job, store.steps.forJob(jobId), entry.request.wording, clock.now()));
  };

  /**
   * Waits (boundedly) until the card is posted and its message id recorded: a kill before that would
   * leave a card that never changes again, and the restarted job would post a second one.
   */
  const cardPosted = async (card: LiveMessage): Promise<void> => {
    if (card.ref) return;
    const bound = new AbortController();
    await Promise.race([card.flush(), sleep(clock, cardPostBoundMs, bound.signal).catch(() => undefined)]);
    bound.abort();
  };

  const execute = async (job: Job, entry: Running): Promise<void> => {
    const log = deps.log.child({ jobId: job.id, subject: job.subject, kind: job.kind });
    await cardPosted(entry.card);
    if (store.jobs.byId(job.id)?.status !== 'queued') return;
    store.jobs.start(job.id);
    refresh(job.id);
    log.info('job started');
    let outcome: RunOutcome;
    try {
      outcome = await runPlan({
        jobId: job.id,
        plan: entry.request.plan,
        steps: store.steps,
        clock,
        log,
        signal: entry.abort.signal,
        pause: pause.signal,
        ...(entry.rollback ? { rollback: entry.rollback } : {}),
        onChange: () => refresh(job.id),
      });
    } catch (err) {
      log.error({ err }, 'job runner failed');
      outcome = { status: 'failed', error: 'internal error in the job runner; see the bot log', outputs: {} };
    }
    if (outcome.status === 'paused') {
      store.jobs.finish(job.id, 'paused');
      log.info('job paused for a restart');
      refresh(job.id);
      return;
    }
    const status = outcome.status;
    store.transaction(() => {
      store.jobs.finish(job.id, status, outcome.error);
      entry.request.settle(outcome);
      audit(
        { user: userOfKey(job.requester), chat: job.chat },
        `job ${job.kind}`,
        outcome.status,
        `#${job.id} ${job.subject}${outcome.error ? `: ${outcome.error}` : ''}`,
      );
    });
    log.info({ status: outcome.status, error: outcome.error }, 'job finished');
    refresh(job.id);
    for (const listener of listeners) {
      await listener(store.jobs.byId(job.id)!, outcome).catch((err: unknown) =>
        log.warn({ err }, 'job listener failed'),
      );
    }
  };

  const enqueue = (job: Job, request: JobRequest, rollback?: string): void => {
    const card = createLiveMessage({
      // A chat revoked while the job runs, or a requester whose access ends, sees no more of its card.
      messenger: withAudience(messenger, (chat) => audience.mayTellAsker(chat, job.requester)),
      chat: request.chat,
      clock,
      log: deps.log,
      ...(job.messageId ? { existing: { chat: job.chat, messageId: job.messageId } } : {}),
      onMoved: (ref) => store.jobs.setMessage(job.id, ref.messageId),
    });
    const entry: Running = { request, card, abort: new AbortController(), ...(rollback ? { rollback } : {}) };
    active.set(job.id, entry);
    refresh(job.id);
    const run = queue
      .add(() => execute(job, entry))
      .catch((err: unknown) => deps.log.error({ err, jobId: job.id }, 'job crashed'))
      .finally(() => {
        executions.delete(run);
        void card
          .flush()
          .then(() => card.delivered && store.jobs.cardShown(job.id))
          .catch((err: unknown) => deps.log.warn({ err, jobId: job.id }, 'could not note the card as shown'))
          .finally(() => active.delete(job.id));
      });
    executions.add(run);
  };

  /** One job per subject at a time: refuses while another holds it, naming that job so it can be followed. */
  const assertIdle = (subject: string): void => {
    const busy = store.jobs.activeFor(subject);
    if (busy) {
      throw new UserError(
        `${subject} is busy with job #${busy.id} (${busy.kind}, ${busy.status}). Wait for it to finish or /cancel ${busy.id}.`,
        'conflict',
      );
    }
  };

  return {
    assertIdle,

    /** Jobs queued or running right now. */
    depth: (): number => active.size,

    /**
     * Calls onChange whenever the job's record or one of its steps changes (the same moments its card
     * is redrawn); the returned function stops it.
     */
    watch(jobId: number, onChange: () => void): () => void {
      const set = watchers.get(jobId) ?? new Set();
      watchers.set(jobId, set.add(onChange));
      return () => {
        set.delete(onChange);
        if (set.size === 0) watchers.delete(jobId);
      };
    },

    /** Tells fn about every job that ends (alerts route failures to the chats that follow them). */
    onFinished(fn: (job: Job, outcome: RunOutcome) => Promise<void>): void {
      listeners.push(fn);
    },

    /** Records the job, posts its card and queues it. Refuses while another job holds the agent. */
    submit(request: JobRequest): Job {
      if (pause.signal.aborted)
        throw new UserError('fleetbot is restarting; send the command again in a minute.', 'unavailable');
      assertIdle(request.subject);
      const job = store.transaction(() => {
        const created = store.jobs.create({
          kind: request.kind,
          subject: request.subject,
          ...(request.agent ? { agentId: request.agent.id } : {}),
          ...(request.params ? { params: request.params } : {}),
          requester: request.requester,
          chat: request.chat,
        });
        store.steps.createAll(
          created.id,
          request.plan.map((s) => ({ key: s.key, title: s.title })),
        );
        return created;
      });
      enqueue(job, request);
      return job;
    },

    /**
     * Takes up a job an earlier process left unfinished, on its existing card: it continues after its
     * last finished step, or (`rollback` says why) undoes what it had created.
     */
    resume(job: Job, request: JobRequest, rollback?: string): void {
      store.jobs.requeue(job.id);
      enqueue(store.jobs.byId(job.id)!, request, rollback);
    },

    /**
     * For a shutdown: no new jobs, running ones stop at their next step boundary (within boundMs), and
     * their cards say they carry on after the restart.
     */
    async drain(boundMs: number): Promise<void> {
      pause.abort();
      await Promise.race([Promise.all(executions), sleep(clock, boundMs)]);
      await Promise.all([...active.values()].map((e) => e.card.flush()));
    },

    /** Cancels a queued job at once, or asks a running one to stop and roll back. */
    cancel(jobId: number, by: { principal: string; level: string }): 'cancelled' | 'stopping' | 'not-active' {
      const job = store.jobs.byId(jobId);
      if (!job) throw new UserError(`There is no job #${jobId}. /jobs lists recent jobs.`, 'not_found');
      // Operators cancel their own jobs; admins anyone's.
      if (job.requester !== by.principal && by.level !== 'admin') {
        throw new UserError(
          `Job #${jobId} was started by ${job.requester}; only they or an admin can cancel it.`,
        );
      }
      const entry = active.get(jobId);
      if (!job || !entry || (job.status !== 'queued' && job.status !== 'running')) return 'not-active';
      if (job.status === 'queued') {
        store.transaction(() => {
          store.jobs.finish(jobId, 'cancelled', 'cancelled');
          entry.request.settle({ status: 'cancelled', error: 'cancelled', outputs: {} });
        });
        store.steps.forJob(jobId).forEach((s) => store.steps.mark(jobId, s.idx, 'skipped'));
        refresh(jobId);
        return 'cancelled';
      }
      entry.abort.abort(new Error('cancelled'));
      return 'stopping';
    },

    /** Resolves when no job is queued or running and every card shows its final state. */
    async idle(): Promise<void> {
      while (active.size > 0 || queue.size > 0 || queue.pending > 0) {
        await queue.onIdle();
        await Promise.all([...active.values()].map((e) => e.card.flush()));
        await new Promise((r) => setImmediate(r));
      }
    },
  };
}
export type JobService = ReturnType<typeof createJobService>;
