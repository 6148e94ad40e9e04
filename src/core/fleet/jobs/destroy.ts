import { agentParams, defineAgentJob } from './agentJob.js';

/** Removes an agent and everything its provider made for it; the agent's name is free again. */
export const destroyJob = defineAgentJob({
  kind: 'destroy',
  params: agentParams,
  plan: (agent, _params, deps) => deps.providerOf(agent.provider).destroyPlan(agent),
  title: (agent) => `Destroy ${agent.name}`,
  retryHint: (agent) => `Run /destroy ${agent.name} again.`,
  // Whatever is left of an agent a destroy did not finish may still cost money: it stays on record.
  after: { succeeded: 'destroyed' },
});
