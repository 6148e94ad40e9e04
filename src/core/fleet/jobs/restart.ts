import { agentParams, defineAgentJob } from './agentJob.js';
import { answersSteps } from './answersStep.js';

/** Restarts an agent where it runs. */
export const restartJob = defineAgentJob({
  kind: 'restart',
  params: agentParams,
  plan(agent, _params, deps) {
    const role = deps.findRole(agent.role);
    return [...deps.providerOf(agent.provider).restartPlan(agent, role), ...answersSteps(agent, role, deps)];
  },
  title: (agent) => `Restart ${agent.name}`,
  retryHint: (agent) => `See /logs ${agent.name}, then /restart ${agent.name} again.`,
  after: { succeeded: 'running', rolled_back: 'stopped', cancelled: 'stopped' },
});
