import { z } from 'zod';
import { agentNameSchema } from '../core/fleet/agentName.js';
import { defineCommand } from '../core/router/command.js';
import { destroyPrompt } from '../prompts/destroy.js';

export const destroy = defineCommand({
  name: 'destroy',
  summary: 'Delete an agent and everything it runs on (asks for approval)',
  usage: '/destroy <name>',
  permission: 'operator',
  scope: 'agents:destroy',
  positional: ['name'],
  args: z.object({ name: agentNameSchema }).strict(),
  run: async (ctx, { name }) => {
    const { fleet, now } = ctx.services;
    const agent = fleet.find(name);
    fleet.assertIdle(agent);
    const steps = fleet.destroyPreview(agent);
    const health = await fleet.status(agent);
    const approval = await ctx.ask(
      destroyPrompt,
      { agentId: agent.id, name: agent.name },
      { agent, health, steps, now: now() },
      agent,
    );
    // Nothing is destroyed yet: the card waits for an approving press.
    return { record: { approval }, pending: true };
  },
});
