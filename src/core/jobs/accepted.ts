import type { CommandResult, Services } from '../router/command.js';
import { currentJobRecord, followJob } from './events.js';

/**
 * A job a command started: the chat follows its card, a program gets the job's record and may follow
 * its events (`GET /v1/jobs/{id}/events`, MCP `wait_job`).
 */
export function jobAccepted(services: Pick<Services, 'store' | 'jobs'>, jobId: number): CommandResult {
  const { store, jobs } = services;
  return {
    record: { job: currentJobRecord(store, jobId) },
    accepted: true,
    events: (after, signal) =>
      followJob({ store, watch: (id, onChange) => jobs.watch(id, onChange) }, jobId, after, signal),
  };
}
