import { z } from 'zod';
import type { Access, Caller } from '../access/access.js';
import { auditLog, userOfKey } from '../access/auditLog.js';
import type { Clock } from '../runtime/clock.js';
import { permissionFor, type AskCard, type PromptHandler, type Services } from '../router/command.js';
import { UserError } from '../runtime/errors.js';
import type { Logger } from '../runtime/logging.js';
import type { Messenger } from '../chat/messenger.js';
import { message } from '../chat/outbound.js';
import type { Store } from '../store/index.js';
import { levelRank } from '../access/levels.js';
import type { ApprovalPolicy, Prompt } from '../store/prompts.js';
import type { ActionAnswer, ChatRef, Inbound, MessageRef, Outbound } from '../chat/types.js';

const buttonIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/**
 * Cards that ask for a decision. Any command can ask; this module alone decides whether a press counts:
 * the button must be one we issued, on that very card in that chat, not expired, not decided, and the
 * presser must pass the level and the approval policy checked at press time.
 */
export function createApprovals(deps: {
  store: Store;
  messenger: Messenger;
  access: Access;
  handlers: PromptHandler[];
  services: () => Services;
  clock: Clock;
  log: Logger;
  ttlMs: number;
  policyFor: (kind: string) => ApprovalPolicy;
}) {
  const { store, messenger, clock, log } = deps;
  const audit = auditLog(store);
  const handlers = new Map(deps.handlers.map((h) => [h.kind, h]));

  const editCard = async (prompt: Prompt, out: Outbound): Promise<void> => {
    if (prompt.messageId) await messenger.edit({ chat: prompt.chat, messageId: prompt.messageId }, out);
  };

  return {
    async ask(
      caller: Caller,
      p: { kind: string; payload: unknown; card: (card: AskCard) => Outbound },
    ): Promise<void> {
      const handler = handlers.get(p.kind);
      if (!handler) throw new Error(`no prompt handler for ${p.kind}`);
      const policy = deps.policyFor(p.kind);
      const { prompt, buttonIds } = store.prompts.create({
        kind: p.kind,
        payload: p.payload,
        chat: caller.chat,
        requestedBy: caller.principal,
        ttlMs: deps.ttlMs,
        choices: [...handler.choices],
        policy,
        approveChoice: handler.approveChoice,
      });
      const ref = await messenger.send(
        caller.chat,
        p.card({ buttons: buttonIds, expiresAt: prompt.expiresAt, policy, requestedBy: caller.principal }),
      );
      store.prompts.attachMessage(prompt.id, ref.messageId);
      audit(caller, p.kind, 'requested');
    },

    async press(caller: Caller, inbound: Extract<Inbound, { kind: 'action' }>): Promise<ActionAnswer> {
      const id = buttonIdSchema.safeParse(inbound.actionId);
      const found = id.success ? store.prompts.resolveButton(id.data) : undefined;
      // Ids are only valid on the card and in the chat they were shown on: anything else is forged.
      const sameCard =
        found !== undefined &&
        found.prompt.chat.platform === caller.chat.platform &&
        found.prompt.chat.chatId === caller.chat.chatId &&
        found.prompt.messageId === inbound.message.messageId;
      const handler = found && handlers.get(found.prompt.kind);
      if (!found || !sameCard || !handler) {
        audit(caller, 'button', 'rejected: unknown button', inbound.actionId.slice(0, 64));
        return {
          text: 'This button is not valid any more. Run the command again for a fresh card.',
          alert: true,
        };
      }
      const { prompt, choice } = found;
      if (prompt.decidedAt !== null) {
        audit(caller, prompt.kind, 'rejected: already decided');
        return { text: `Already resolved (${prompt.decision} by ${prompt.decidedBy}).` };
      }
      if (clock.now() >= prompt.expiresAt) {
        if (store.prompts.decide(prompt.id, 'fleetbot', 'expired'))
          await editCard(prompt, handler.expired(prompt));
        audit(caller, prompt.kind, 'rejected: expired');
        return { text: 'This request expired. Run the command again for a fresh card.', alert: true };
      }
      const needed = permissionFor(handler, choice);
      const refusal =
        levelRank(caller.level) < levelRank(needed)
          ? `This needs the ${needed} level; you are ${caller.level}.`
          : handler.multiUse
            ? undefined
            : deps.access.mayDecide(prompt, caller, choice);
      if (refusal) {
        audit(caller, prompt.kind, 'refused', refusal);
        return { text: refusal, alert: true };
      }
      if (!handler.multiUse && !store.prompts.decide(prompt.id, caller.principal, choice)) {
        return { text: 'Someone already resolved this card.' };
      }
      try {
        const reply = (out: Outbound) => messenger.send(caller.chat, out);
        const result = await handler.decide({ ...caller, services: deps.services(), reply }, prompt, choice);
        audit(
          caller,
          prompt.kind,
          handler.multiUse ? choice : choice === prompt.approveChoice ? 'approved' : 'declined',
        );
        if (result.card) await editCard(prompt, result.card);
        return { text: result.toast };
      } catch (err) {
        const text =
          err instanceof UserError ? err.message : 'Something went wrong; the bot’s log has the details.';
        if (!(err instanceof UserError)) log.error({ err, prompt: prompt.id }, 'button handler failed');
        audit(caller, prompt.kind, 'error', text);
        await editCard(prompt, message(text));
        return { text, alert: true };
      }
    },

    /**
     * Posts a card on fleetbot's own initiative (an alert) whose buttons stay usable until close().
     * Returns the prompt id and the button ids, so later versions of the card keep the same buttons.
     */
    async post(p: {
      kind: string;
      payload: unknown;
      chat: ChatRef;
      ttlMs: number;
      card: (buttons: Record<string, string>) => Outbound;
    }): Promise<{ promptId: string; buttons: Record<string, string>; ref: MessageRef }> {
      const handler = handlers.get(p.kind);
      if (!handler) throw new Error(`no prompt handler for ${p.kind}`);
      const { prompt, buttonIds } = store.prompts.create({
        kind: p.kind,
        payload: p.payload,
        chat: p.chat,
        requestedBy: 'fleetbot',
        ttlMs: p.ttlMs,
        choices: [...handler.choices],
        policy: 'self',
      });
      const ref = await messenger.send(p.chat, p.card(buttonIds));
      store.prompts.attachMessage(prompt.id, ref.messageId);
      return { promptId: prompt.id, buttons: buttonIds, ref };
    },

    /** Ends a multi-use card's buttons (the incident is over); later presses are told so. */
    close(promptId: string, outcome: string): void {
      store.prompts.decide(promptId, 'fleetbot', outcome);
    },

    /** Marks every card whose time ran out as expired, so nobody reads a stale offer. */
    async sweep(): Promise<number> {
      let count = 0;
      for (const prompt of store.prompts.expiredOpen(clock.now())) {
        const handler = handlers.get(prompt.kind);
        if (!handler || !store.prompts.decide(prompt.id, 'fleetbot', 'expired')) continue;
        count++;
        audit({ user: userOfKey(prompt.requestedBy), chat: prompt.chat }, prompt.kind, 'expired');
        await editCard(prompt, handler.expired(prompt)).catch((err: unknown) =>
          log.warn({ err, prompt: prompt.id }, 'could not mark an expired card'),
        );
      }
      return count;
    },
  };
}
export type Approvals = ReturnType<typeof createApprovals>;
