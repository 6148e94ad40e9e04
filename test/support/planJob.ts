import type { Plan } from '../../src/core/jobs/plan.js';
import { runPlan, type RunOutcome } from '../../src/core/jobs/runner.js';
import { systemClock } from '../../src/core/runtime/clock.js';
import type { Agent } from '../../src/core/store/agents.js';
import type { Store } from '../../src/core/store/index.js';
import { silentLog } from './env.js';

/**
 * Runs a provider's plan as the job service would, without its queue or card: a job row of the given
 * kind, its steps on record, and the agent's resources with the steps' outputs merged in.
 */
export async function runPlanAsJob(
  store: Store,
  agent: Agent,
  kind: string,
  plan: Plan,
): Promise<{ outcome: RunOutcome; resources: Record<string, unknown> }> {
  const job = store.jobs.create({
    kind,
    subject: agent.name,
    agentId: agent.id,
    requester: 'console:local',
    chat: { platform: 'console', chatId: 'local' },
  });
  store.steps.createAll(
    job.id,
    plan.map((s) => ({ key: s.key, title: s.title })),
  );
  const outcome = await runPlan({
    jobId: job.id,
    plan,
    steps: store.steps,
    clock: systemClock,
    log: silentLog,
    signal: new AbortController().signal,
    onChange: () => undefined,
  });
  const resources = Object.assign({}, agent.resources, ...Object.values(outcome.outputs)) as Record<
    string,
    unknown
  >;
  return { outcome, resources };
}
