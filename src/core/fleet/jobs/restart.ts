import { agentParams, defineAgentJob } from './agentJob.js';

/** Restarts an agent where it runs. */
export const restartJob = defineAgentJob({
  kind: 'restart',
  params: agentParams,
  plan: (agent, _params, deps) =>
    deps.providerOf(agent.provider).restartPlan(agent, deps.findRole(agent.role)),
  title: (agent) => `Restart ${agent.name}`,
  retryHint: (agent) => `See /logs ${agent.name}, then /restart ${agent.name} again.`,
  after: { succeeded: 'running', rolled_back: 'stopped', cancelled: 'stopped' },
});
