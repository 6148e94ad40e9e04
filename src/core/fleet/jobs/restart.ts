import { defineJob } from './define.js';
import { agentOf, agentParams, agentWording, settleAgent } from './agentJob.js';

/** Restarts an agent where it runs. */
export const restartJob = defineJob({
  kind: 'restart',
  params: agentParams,
  build({ agentId }, deps) {
    const agent = agentOf(deps.store, agentId);
    return {
      subject: agent.name,
      agent,
      plan: deps.providerOf(agent.provider).restartPlan(agent, deps.findRole(agent.role)),
      wording: agentWording(
        deps.store,
        agent,
        `Restart ${agent.name}`,
        `See /logs ${agent.name}, then /restart ${agent.name} again.`,
      ),
      settle: settleAgent(deps.store, agent.id, (outcome) =>
        outcome === 'succeeded'
          ? 'running'
          : outcome === 'rolled_back' || outcome === 'cancelled'
            ? 'stopped'
            : 'broken',
      ),
    };
  },
});
