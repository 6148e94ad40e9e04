import { z } from 'zod';
import { code, link } from '../../chat/outbound.js';
import type { Plan } from '../../jobs/plan.js';
import type { Span } from '../../chat/types.js';
import type { JobWording } from '../../jobs/card.js';
import type { RunOutcome } from '../../jobs/runner.js';
import type { Agent, AgentStatus } from '../../store/agents.js';
import type { Store } from '../../store/index.js';
import { defineJob, type JobDeps } from './define.js';

// What the jobs on one agent (deploy, restart, destroy) share: their params, card wording and settle.

export const agentParams = z.object({ agentId: z.number().int() });

function agentOf(store: Store, agentId: number): Agent {
  const agent = store.agents.byId(agentId);
  if (!agent) throw new Error(`agent #${agentId} is not on record`);
  return agent;
}

/** The agent's resources with what steps created merged in. */
export const withCreated = (agent: Agent, created: Record<string, unknown>[]): Record<string, unknown> =>
  Object.assign({}, agent.resources, ...created) as Record<string, unknown>;

/** What to do about whatever a job on this agent may have left behind. */
export const cleanupHint = (name: string): (string | Span)[] => [
  'Check ',
  code(`/status ${name}`),
  '; ',
  code(`/destroy ${name}`),
  ' removes whatever it created.',
];

const agentWording = (store: Store, agent: Agent, title: string, retryHint: string): JobWording => ({
  title,
  retryHint,
  cleanupHint: cleanupHint(agent.name),
  onSuccess: () => {
    const now = store.agents.byId(agent.id) ?? agent;
    if (now.status === 'destroyed') return [[`${now.name} is gone; its name is free again.`]];
    // An agent without a daemon has no address: what there is to do with it is talk to it.
    return [
      now.url ? ['URL: ', link(now.url, now.url)] : ['Talk to it: ', code(`/ask ${now.name} <prompt>`)],
      ['Next: ', code(`/status ${now.name}`), ' · ', code(`/logs ${now.name}`)],
    ];
  },
});

/** Moves the agent to the status its job's outcome leaves it in, keeping what the steps created. */
const settleAgent =
  (store: Store, agentId: number, after: AgentStatusAfter) =>
  (outcome: RunOutcome): void => {
    const agent = store.agents.byId(agentId);
    if (!agent) return;
    const resources = withCreated(agent, Object.values(outcome.outputs));
    const status = after[outcome.status] ?? 'broken';
    const url = typeof resources.url === 'string' ? resources.url : agent.url;
    store.agents.update(agent.id, { status, resources, url: status === 'destroyed' ? agent.url : url });
  };

/** The agent's status after each way its job can end; any outcome not named leaves it broken. */
type AgentStatusAfter = Partial<Record<RunOutcome['status'], AgentStatus>>;

/**
 * A job on one agent (deploy, restart, destroy): built from the agent's record, its card worded and
 * its outcome settled on the agent the same way for every such kind.
 */
export function defineAgentJob<S extends typeof agentParams>(def: {
  kind: string;
  params: S;
  plan(agent: Agent, params: z.output<S>, deps: JobDeps): Plan;
  title(agent: Agent): string;
  retryHint(agent: Agent): string;
  after: AgentStatusAfter;
}) {
  return defineJob({
    kind: def.kind,
    params: def.params,
    build(params, deps) {
      const agent = agentOf(deps.store, params.agentId);
      return {
        subject: agent.name,
        agent,
        plan: def.plan(agent, params, deps),
        wording: agentWording(deps.store, agent, def.title(agent), def.retryHint(agent)),
        settle: settleAgent(deps.store, agent.id, def.after),
      };
    },
  });
}
