import { z } from 'zod';
import { code, link } from '../../chat/outbound.js';
import type { Span } from '../../chat/types.js';
import type { JobWording } from '../../jobs/card.js';
import type { RunOutcome } from '../../jobs/runner.js';
import type { Agent, AgentStatus } from '../../store/agents.js';
import type { Store } from '../../store/index.js';

// What the jobs on one agent (deploy, restart, destroy) share: their params, card wording and settle.

export const agentParams = z.object({ agentId: z.number().int() });

export function agentOf(store: Store, agentId: number): Agent {
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

export const agentWording = (store: Store, agent: Agent, title: string, retryHint: string): JobWording => ({
  title,
  retryHint,
  cleanupHint: cleanupHint(agent.name),
  onSuccess: () => {
    const now = store.agents.byId(agent.id) ?? agent;
    if (now.status === 'destroyed') return [[`${now.name} is gone; its name is free again.`]];
    return [
      ['URL: ', link(now.url ?? '(none)', now.url ?? '')],
      ['Next: ', code(`/status ${now.name}`), ' · ', code(`/logs ${now.name}`)],
    ];
  },
});

/** Moves the agent to the status its job's outcome leaves it in, keeping what the steps created. */
export const settleAgent =
  (store: Store, agentId: number, statusAfter: (outcome: RunOutcome['status']) => AgentStatus) =>
  (outcome: RunOutcome): void => {
    const agent = store.agents.byId(agentId);
    if (!agent) return;
    const resources = withCreated(agent, Object.values(outcome.outputs));
    const status = statusAfter(outcome.status);
    const url = typeof resources.url === 'string' ? resources.url : agent.url;
    store.agents.update(agent.id, { status, resources, url: status === 'destroyed' ? agent.url : url });
  };
