import { z } from 'zod';
import { chatToken, chatTokenVariable } from '../chatToken.js';
import { agentParams, defineAgentJob } from './agentJob.js';
import { answersSteps } from './answersStep.js';

/** Puts a new agent where its provider runs agents; the agent's record is made before the job. */
export const deployJob = defineAgentJob({
  kind: 'deploy',
  params: agentParams.extend({
    // The provider's per-deploy choices, kept as given and handed back to it.
    options: z.record(z.string(), z.string()).default({}),
  }),
  plan(agent, { options }, deps) {
    const role = deps.roleOf(agent.role);
    const provider = deps.providerOf(agent.provider);
    const token = chatToken(deps.store, role, agent);
    return [
      ...provider.deployPlan({
        agent,
        role,
        secrets: { ...deps.secretsFor(role), ...(token ? { [chatTokenVariable]: token } : {}) },
        options,
        neighbours: deps.store.agents.list({ provider: provider.name }).filter((a) => a.id !== agent.id),
      }),
      ...answersSteps(agent, role, deps),
    ];
  },
  title: (agent) => `Deploy ${agent.name} (${agent.role}, ${agent.provider})`,
  retryHint: (agent) => `Fix the cause and run /deploy ${agent.role} ${agent.name} again.`,
  after: { succeeded: 'running', rolled_back: 'failed', cancelled: 'failed' },
});
