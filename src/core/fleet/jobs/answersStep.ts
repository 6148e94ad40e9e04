import type { Step } from '../../jobs/plan.js';
import type { Agent } from '../../store/agents.js';
import { daemonOf, type Role } from '../roles.js';
import { withCreated } from './agentJob.js';
import type { JobDeps } from './define.js';

/**
 * For an agent without a daemon, the last step of a deploy or restart: its chat command starts inside
 * its walls and answers, or the job fails with why (and rolls back) instead of leaving an agent that
 * cannot be talked to. No step for agents with a daemon: their provider waits for its health.
 */
export function answersSteps(agent: Agent, role: Role | undefined, deps: JobDeps): Step[] {
  if (!role?.chat || daemonOf(role)) return [];
  return [
    {
      key: 'answers',
      title: `Check it answers over ${role.chat.protocol}`,
      rerunnable: true,
      run: async (ctx) => {
        // The agent as the steps before made it: its folder, its machine.
        const made = { ...agent, resources: withCreated(agent, Object.values(ctx.outputs)) };
        const health = await deps.probe(made, role);
        if (health.state !== 'healthy') throw new Error(health.detail);
        return {};
      },
    },
  ];
}
