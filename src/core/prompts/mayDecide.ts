import type { Caller } from '../access/access.js';
import { isProgram } from '../access/apiKeys.js';
import { levelRank } from '../access/levels.js';
import type { MessageRef } from '../chat/types.js';
import type { ApprovalPolicy, Prompt } from '../store/prompts.js';
import { permissionFor, type AnyPrompt } from './definePrompt.js';

export type PressVerdict =
  | { ok: true }
  | { ok: false; reason: 'unknown button' }
  | { ok: false; reason: 'already decided' }
  | { ok: false; reason: 'expired' }
  | { ok: false; reason: 'refused'; refusal: string };

/**
 * Whether a press counts: the button must be one we issued, on one of the messages showing its card, not
 * expired, not decided, and the presser must have the card's level and pass its approval policy.
 * Decides only; recording and answering are the caller's.
 */
export function mayDecide(press: {
  /** The prompt and choice behind the pressed id, if it is one we issued. */
  found: { prompt: Prompt; choice: string } | undefined;
  /** The registered card of that prompt's kind. */
  card: AnyPrompt | undefined;
  caller: Caller;
  /** The message the button was pressed on. */
  message: MessageRef;
  now: number;
}): PressVerdict {
  const { found, card, caller } = press;
  // Ids are only valid on the cards and in the chats they were shown on: anything else is forged.
  const sameCard =
    found !== undefined &&
    found.prompt.shownOn.some(
      (m) =>
        m.chat.platform === caller.chat.platform &&
        m.chat.chatId === caller.chat.chatId &&
        m.messageId === press.message.messageId,
    );
  if (!found || !sameCard || !card) return { ok: false, reason: 'unknown button' };
  const { prompt, choice } = found;
  if (prompt.decidedAt !== null) return { ok: false, reason: 'already decided' };
  if (press.now >= prompt.expiresAt) return { ok: false, reason: 'expired' };
  const needed = permissionFor(card, choice);
  const refusal =
    levelRank(caller.level) < levelRank(needed)
      ? `This needs the ${needed} level; you are ${caller.level}.`
      : card.mayPress
        ? card.mayPress(caller, card.payload.parse(prompt.payload))
        : card.multiUse
          ? undefined
          : policyRefusal(prompt, caller, choice);
  return refusal ? { ok: false, reason: 'refused', refusal } : { ok: true };
}

/** Whether this caller may take this choice under the prompt's approval policy; why not if not. */
function policyRefusal(prompt: Prompt, caller: Caller, choice: string): string | undefined {
  const isRequester = caller.principal === prompt.requestedBy;
  const isAdmin = caller.level === 'admin';
  // A program cannot press a button: what it asked for is an admin's to decide, either way.
  if (isProgram(prompt.requestedBy) && !isAdmin)
    return `${prompt.requestedBy} is a program with an API key: only an admin can decide what it asked for.`;
  if (choice !== prompt.approveChoice) {
    return isRequester || isAdmin
      ? undefined
      : `Only ${prompt.requestedBy}, who asked, or an admin can cancel this.`;
  }
  return approvalRefusal(prompt.policy, { isRequester, isAdmin, requester: prompt.requestedBy });
}

function approvalRefusal(
  policy: ApprovalPolicy,
  who: { isRequester: boolean; isAdmin: boolean; requester: string },
): string | undefined {
  if (policy === 'self') {
    return who.isRequester || who.isAdmin
      ? undefined
      : `Only ${who.requester}, who asked, or an admin can approve this.`;
  }
  if (who.isRequester) return 'Two-person rule: another admin must approve what you asked for.';
  return who.isAdmin
    ? undefined
    : 'Two-person rule: only an admin other than the requester can approve this.';
}
