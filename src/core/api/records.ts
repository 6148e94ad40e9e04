import { z } from 'zod';
import type { AgentHealth } from '../fleet/provider.js';
import type { Agent } from '../store/agents.js';
import type { Job } from '../store/jobs.js';
import type { StepRecord } from '../store/steps.js';

/**
 * The records programs get (the HTTP API, the MCP server's structured content, `fleetbot … --json`):
 * one schema each, from which the OpenAPI document is generated and against which tests check every
 * answer. Times are ISO 8601 strings; nothing internal (resources, secrets, chat ids) is in them.
 */

const time = z.iso.datetime();
/**
 * Times as ISO strings, each formatted once: `toISOString` cost as much as serialising the record it
 * is in, and a list of 1,000 agents formats 1,000 times an answer (B9 in BENCHMARKS.md). Past
 * `isoKept` times the memory starts over, so it stays small whatever runs.
 */
const isoKept = 10_000;
const isoTexts = new Map<number, string>();
const iso = (ms: number): string => {
  let text = isoTexts.get(ms);
  if (text === undefined) {
    if (isoTexts.size >= isoKept) isoTexts.clear();
    text = new Date(ms).toISOString();
    isoTexts.set(ms, text);
  }
  return text;
};
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export const healthRecordSchema = z
  .object({
    state: z.enum(['healthy', 'unhealthy', 'stopped']),
    detail: z.string(),
    latencyMs: z.number().optional(),
  })
  .meta({ id: 'Health' });

export const agentRecordSchema = z
  .object({
    name: z.string(),
    role: z.string(),
    provider: z.string(),
    status: z.enum([
      'deploying',
      'running',
      'stopped',
      'broken',
      'lost',
      'destroying',
      'failed',
      'destroyed',
    ]),
    url: z.string().nullable(),
    owner: z.string(),
    createdAt: time,
    destroyedAt: time.nullable(),
    /** Present where the agent was checked for this answer (show, not list). */
    health: healthRecordSchema.optional(),
  })
  .meta({ id: 'Agent' });
export type AgentRecord = z.infer<typeof agentRecordSchema>;

export const agentRecord = (agent: Agent, health?: AgentHealth): AgentRecord => ({
  name: agent.name,
  role: agent.role,
  provider: agent.provider,
  status: agent.status,
  url: agent.url,
  owner: agent.owner,
  createdAt: iso(agent.createdAt),
  destroyedAt: isoOrNull(agent.destroyedAt),
  ...(health
    ? {
        health: {
          state: health.state,
          detail: health.detail,
          ...(health.latencyMs === undefined ? {} : { latencyMs: health.latencyMs }),
        },
      }
    : {}),
});

export const stepRecordSchema = z
  .object({
    key: z.string(),
    title: z.string(),
    status: z.enum(['waiting', 'running', 'done', 'failed', 'undoing', 'undone', 'undo_failed', 'skipped']),
    error: z.string().nullable(),
    startedAt: time.nullable(),
    finishedAt: time.nullable(),
  })
  .meta({ id: 'Step' });

export const jobRecordSchema = z
  .object({
    id: z.number().int(),
    kind: z.string(),
    subject: z.string(),
    status: z.enum([
      'queued',
      'running',
      'paused',
      'succeeded',
      'failed',
      'rolled_back',
      'cancelled',
      'interrupted',
    ]),
    error: z.string().nullable(),
    requester: z.string(),
    createdAt: time,
    startedAt: time.nullable(),
    finishedAt: time.nullable(),
    steps: z.array(stepRecordSchema),
    /** The agent the job is about, as it is now. */
    agent: agentRecordSchema.optional(),
  })
  .meta({ id: 'Job' });
export type JobRecord = z.infer<typeof jobRecordSchema>;

export const jobRecord = (job: Job, steps: readonly StepRecord[], agent?: Agent): JobRecord => ({
  id: job.id,
  kind: job.kind,
  subject: job.subject,
  status: job.status,
  error: job.error,
  requester: job.requester,
  createdAt: iso(job.createdAt),
  startedAt: isoOrNull(job.startedAt),
  finishedAt: isoOrNull(job.finishedAt),
  steps: steps.map((s) => ({
    key: s.key,
    title: s.title,
    status: s.status,
    error: s.error,
    startedAt: isoOrNull(s.startedAt),
    finishedAt: isoOrNull(s.finishedAt),
  })),
  ...(agent ? { agent: agentRecord(agent) } : {}),
});

/** Whether a job has ended, for good: its record will not change again. */
export const jobEnded = (status: JobRecord['status']): boolean =>
  status !== 'queued' && status !== 'running' && status !== 'paused';

/**
 * A request waiting for a person's decision (a destroy): nothing happens until someone presses the
 * approving button on one of the cards; `status` is `pending_approval`, never success.
 */
export const approvalRecordSchema = z
  .object({
    status: z.literal('pending_approval'),
    id: z.string(),
    kind: z.string(),
    requestedBy: z.string(),
    expiresAt: time,
    /** How many chats show the card with its buttons. */
    shownIn: z.number().int(),
  })
  .meta({ id: 'Approval' });
export type ApprovalRecord = z.infer<typeof approvalRecordSchema>;

export const logsRecordSchema = z
  .object({ agent: z.string(), lines: z.array(z.string()) })
  .meta({ id: 'Logs' });
export type LogsRecord = z.infer<typeof logsRecordSchema>;
