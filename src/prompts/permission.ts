import { z } from 'zod';
import { clockTime } from '../core/chat/format.js';
import { bold, code, message } from '../core/chat/outbound.js';
import { agentText } from '../core/chat/text.js';
import { actsForAsker } from '../core/conversations/actsForAsker.js';
import type { PermissionChoice } from '../core/conversations/protocol.js';
import { definePrompt } from '../core/prompts/definePrompt.js';
import { UserError } from '../core/runtime/errors.js';

/** How much of the agent's own description of what it wants to do a card shows. */
const maxTitleChars = 300;
const maxDetailChars = 1_500;

/** What the agent asked, as the card shows it (untrusted words, cut) and which choices it offered. */
export type PermissionView = { title: string; detail?: string; offered: PermissionChoice[] };

const labels: Record<PermissionChoice, string> = {
  allow_once: 'Allow once',
  allow_always: 'Allow for this conversation',
  reject: 'Reject',
};
const decided: Record<PermissionChoice, string> = {
  allow_once: 'Allowed once',
  allow_always: 'Allowed for this conversation',
  reject: 'Rejected',
};

/**
 * An agent asks before acting (`session/request_permission`): Allow once, Allow for this
 * conversation, Reject. The person who asked the agent may answer, as may any operator; the buttons
 * work once and expire (then the request is rejected).
 */
export const permissionPrompt = definePrompt({
  kind: 'permission',
  payload: z.object({ requestId: z.string(), agent: z.string(), asker: z.string(), title: z.string() }),
  permission: 'viewer',
  choices: ['allow_once', 'allow_always', 'reject'],
  mayPress: (caller, { asker }) =>
    actsForAsker(caller, asker) ? undefined : `Only ${asker}, who asked, or an operator can answer this.`,
  draw: (view: PermissionView & { agent: string }, { buttons, expiresAt }) => ({
    ...message(
      bold(`${view.agent} asks permission`),
      agentText(view.title, maxTitleChars),
      ...(view.detail ? [code(agentText(view.detail, maxDetailChars))] : []),
      `Answer by ${clockTime(expiresAt)}; no answer rejects it.`,
    ),
    buttons: [
      (['allow_once', 'allow_always', 'reject'] as const)
        .filter((choice) => view.offered.includes(choice))
        .map((choice) => ({
          id: buttons[choice],
          label: labels[choice],
          ...(choice === 'reject' ? {} : { style: 'primary' as const }),
        })),
    ],
  }),
  async decide(ctx, { payload, choice }) {
    if (!ctx.services.conversations.answerPermission(payload.requestId, choice)) {
      throw new UserError(
        `${payload.agent} is not waiting for this any more (its answer ended, or fleetbot restarted); nothing was allowed. Ask again if needed.`,
      );
    }
    return {
      card: message(
        bold(`${payload.agent} asked: ${agentText(payload.title, maxTitleChars)}`),
        `${decided[choice]} by ${ctx.principal} at ${clockTime(ctx.services.now())}.`,
      ),
      toast: decided[choice],
    };
  },
  expired: ({ agent, title }) =>
    message(
      bold(`${agent} asked: ${agentText(title, maxTitleChars)}`),
      'Nobody answered in time, so it was rejected.',
    ),
});
