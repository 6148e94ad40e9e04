import { z } from 'zod';
import { clockTime, duration } from '../core/chat/format.js';
import { bold, code, message } from '../core/chat/outbound.js';
import { definePrompt } from '../core/prompts/definePrompt.js';
import { isProgram } from '../core/access/apiKeys.js';
import { UserError } from '../core/runtime/errors.js';
import type { AgentHealth } from '../core/fleet/provider.js';
import type { Agent } from '../core/store/agents.js';

/** What /destroy knows when it asks: the agent, how it is doing, and what destroying it will do. */
export type DestroyView = {
  agent: Agent;
  health: AgentHealth;
  steps: string[];
  now: number;
};

/** The approval a destroy waits for: Approve or Cancel, under the configured approval policy. */
export const destroyPrompt = definePrompt({
  kind: 'destroy',
  payload: z.object({ agentId: z.number().int(), name: z.string() }),
  permission: 'operator',
  choices: ['approve', 'cancel'],
  approveChoice: 'approve',
  draw: ({ agent, health, steps, now }: DestroyView, { buttons, expiresAt, policy, requestedBy }) => ({
    ...message(
      bold(`Destroy ${agent.name}?`),
      `${agent.role} on ${agent.provider} · owner ${agent.owner} · created ${duration(now - agent.createdAt)} ago`,
      `Last health: ${health.state} (${health.detail})`,
      `This will: ${steps.join('; ')}.`,
      policy === 'two-person'
        ? `Needs an admin other than ${requestedBy} to approve, by ${clockTime(expiresAt)}.`
        : isProgram(requestedBy)
          ? `Asked by ${requestedBy}, a program: an admin approves or cancels, by ${clockTime(expiresAt)}; the buttons work once.`
          : `Approve by ${clockTime(expiresAt)}; the buttons work once.`,
    ),
    buttons: [
      [
        { id: buttons.approve, label: 'Approve destroy', style: 'danger' },
        { id: buttons.cancel, label: 'Cancel' },
      ],
    ],
  }),
  async decide(ctx, { payload: { name, agentId }, choice, prompt }) {
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
  expired: ({ name }) => message(`This destroy request for ${name} expired unused. Nothing was changed.`),
});
