import { z } from 'zod';
import { agentNameSchema } from '../core/agentName.js';
import { defineCommand, type PromptHandler } from '../core/command.js';
import { UserError } from '../core/errors.js';
import { clockTime, duration } from '../core/format.js';
import { bold, code, message } from '../core/outbound.js';

const approvalTtlMs = 10 * 60_000;
const payloadSchema = z.object({ agentId: z.number().int(), name: z.string() });

export const destroy = defineCommand({
  name: 'destroy',
  summary: 'Delete an agent and everything it runs on (asks for confirmation)',
  usage: '/destroy <name>',
  permission: 'operator',
  positional: ['name'],
  args: z.object({ name: agentNameSchema }).strict(),
  run: async (ctx, { name }) => {
    const { fleet, now } = ctx.services;
    const agent = fleet.find(name);
    fleet.assertIdle(agent);
    const steps = fleet.destroyPreview(agent);
    await ctx.ask({
      kind: 'destroy',
      payload: { agentId: agent.id, name: agent.name },
      ttlMs: approvalTtlMs,
      card: (ids) => ({
        ...message(
          bold(`Destroy ${agent.name}?`),
          `${agent.role} on ${agent.provider} · ${agent.status} · created ${duration(now() - agent.createdAt)} ago`,
          `This will: ${steps.join('; ')}.`,
          `The buttons work once and expire at ${clockTime(now() + approvalTtlMs)}.`,
        ),
        buttons: [
          [
            { id: ids.confirm!, label: `Destroy ${agent.name}`, style: 'danger' },
            { id: ids.cancel!, label: 'Keep it' },
          ],
        ],
      }),
    });
  },
});

export const destroyPrompt: PromptHandler = {
  kind: 'destroy',
  permission: 'operator',
  choices: ['confirm', 'cancel'],
  async decide(ctx, prompt, choice) {
    const { name, agentId } = payloadSchema.parse(prompt.payload);
    const when = clockTime(ctx.services.now());
    if (choice === 'cancel') {
      return {
        card: message(`Destroy of ${name} cancelled by ${ctx.principal} at ${when}. Nothing was changed.`),
        toast: 'Kept.',
      };
    }
    const agent = ctx.services.store.agents.live(name);
    // The name may have been destroyed and reused since the card was posted: only the same agent counts.
    if (!agent || agent.id !== agentId) {
      throw new UserError(
        `${name} is not the agent this card was about any more; nothing was destroyed. Run /destroy ${name} again if needed.`,
      );
    }
    const job = ctx.services.fleet.destroy({ agent, requester: ctx.principal, chat: ctx.chat });
    return {
      card: message([
        `Destroy of ${name} confirmed by ${ctx.principal} at ${when}. Progress: job #${job.id}; `,
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
