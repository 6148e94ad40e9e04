import { defineJob } from './define.js';
import { agentOf, agentParams, agentWording, settleAgent } from './agentJob.js';

/** Removes an agent and everything its provider made for it; the agent's name is free again. */
export const destroyJob = defineJob({
  kind: 'destroy',
  params: agentParams,
  build({ agentId }, deps) {
    const agent = agentOf(deps.store, agentId);
    return {
      subject: agent.name,
      agent,
      plan: deps.providerOf(agent.provider).destroyPlan(agent),
      wording: agentWording(deps.store, agent, `Destroy ${agent.name}`, `Run /destroy ${agent.name} again.`),
      // Whatever is left of an agent a destroy did not finish may still cost money: it stays on record.
      settle: settleAgent(deps.store, agent.id, (outcome) =>
        outcome === 'succeeded' ? 'destroyed' : 'broken',
      ),
    };
  },
});
