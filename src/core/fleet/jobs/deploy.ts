import { z } from 'zod';
import { defineJob } from './define.js';
import { agentOf, agentParams, agentWording, settleAgent } from './agentJob.js';

/** Puts a new agent where its provider runs agents; the agent's record is made before the job. */
export const deployJob = defineJob({
  kind: 'deploy',
  params: agentParams.extend({
    // The provider's per-deploy choices, kept as given and handed back to it.
    options: z.record(z.string(), z.string()).default({}),
  }),
  build({ agentId, options }, deps) {
    const agent = agentOf(deps.store, agentId);
    const role = deps.roleOf(agent.role);
    const provider = deps.providerOf(agent.provider);
    return {
      subject: agent.name,
      agent,
      plan: provider.deployPlan({
        agent,
        role,
        secrets: deps.secretsFor(role),
        options,
        neighbours: deps.store.agents.list({ provider: provider.name }).filter((a) => a.id !== agent.id),
      }),
      wording: agentWording(
        deps.store,
        agent,
        `Deploy ${agent.name} (${role.name}, ${provider.name})`,
        `Fix the cause and run /deploy ${role.name} ${agent.name} again.`,
      ),
      settle: settleAgent(deps.store, agent.id, (outcome) =>
        outcome === 'succeeded'
          ? 'running'
          : outcome === 'rolled_back' || outcome === 'cancelled'
            ? 'failed'
            : 'broken',
      ),
    };
  },
});
