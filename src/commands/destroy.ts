import { z } from 'zod';
import { agentNameSchema } from '../core/fleet/agentName.js';
import { defineCommand, type PromptHandler } from '../core/router/command.js';
import { UserError } from '../core/runtime/errors.js';
import { clockTime, duration } from '../core/chat/format.js';
import { bold, code, message } from '../core/chat/outbound.js';

const payloadSchema = z.object({ agentId: z.number().int(), name: z.string() });

export const destroy = defineCommand({
  name: 'destroy',
  summary: 'Delete an agent and everything it runs on (asks for approval)',
  usage: '/destroy <name>',
  permission: 'operator',
  positional: ['name'],
  args: z.object({ name: agentNameSchema }).strict(),
  run: async (ctx, { name }) => {
    const { fleet, now } = ctx.services;
    const agent = fleet.find(name);
    fleet.assertIdle(agent);
    const steps = fleet.destroyPreview(agent);
    const health = await fleet.status(agent);
    await ctx.ask({
      kind: 'destroy',
      payload: { agentId: agent.id, name: agent.name },
      card: ({ buttons, expiresAt, policy, requestedBy }) => ({
        ...message(
          bold(`Destroy ${agent.name}?`),
          `${agent.role} on ${agent.provider} · owner ${agent.owner} · created ${duration(now() - agent.createdAt)} ago`,
          `Last health: ${health.state} (${health.detail})`,
          `This will: ${steps.join('; ')}.`,
          policy === 'two-person'
            ? `Needs an admin other than ${requestedBy} to approve, by ${clockTime(expiresAt)}.`
            : `Approve by ${clockTime(expiresAt)}; the buttons work once.`,
        ),
        buttons: [
          [
            { id: buttons.approve!, label: 'Approve destroy', style: 'danger' },
            { id: buttons.cancel!, label: 'Cancel' },
          ],
        ],
      }),
    });
  },
});

export const destroyPrompt: PromptHandler = {
  kind: 'destroy',
  permission: 'operator',
  choices: ['approve', 'cancel'],
  approveChoice: 'approve',
  async decide(ctx, prompt, choice) {
    const { name, agentId } = payloadSchema.parse(prompt.payload);
    const when = clockTime(ctx.services.now());
    if (choice === 'cancel') {
      return {
        card: message(`Destroy of ${name} cancelled by ${ctx.principal} at ${when}. Nothing was changed.`),
        toast: 'Cancelled; nothing was changed.',
      };
    }
    const agent = ctx.services.store.agents.live(name);
    // The name may have been destroyed and reused since the card was posted: only the same agent counts.
    if (!agent || agent.id !== agentId) {
      throw new UserError(
        `${name} is not the agent this card was about any more; nothing was destroyed. Run /destroy ${name} again if needed.`,
      );
    }
    const job = ctx.services.fleet.destroy({ agent, requester: prompt.requestedBy, chat: ctx.chat });
    return {
      card: message([
        `Destroy of ${name} approved by ${ctx.principal} at ${when} (asked by ${prompt.requestedBy}). Progress: job #${job.id}; `,
        code('/jobs'),
        ' lists jobs.',
      ]),
      toast: `Destroying ${name}…`,
    };
  },
  expired: (prompt) =>
    message(
      `This destroy request for ${payloadSchema.parse(prompt.payload).name} expired unused. Nothing was changed.`,
    ),
};
