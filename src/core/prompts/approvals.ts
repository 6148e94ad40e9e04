import { z } from 'zod';
import type { Caller } from '../access/access.js';
import { auditLog, userOfKey } from '../access/auditLog.js';
import { createAudience } from '../access/audience.js';
import type { Clock } from '../runtime/clock.js';
import type { Services } from '../router/command.js';
import { UserError } from '../runtime/errors.js';
import type { Logger } from '../runtime/logging.js';
import type { Messenger } from '../chat/messenger.js';
import { message } from '../chat/outbound.js';
import type { Store } from '../store/index.js';
import type { ApprovalPolicy, Prompt } from '../store/prompts.js';
import {
  chatKey,
  type ActionAnswer,
  type ChatRef,
  type Inbound,
  type MessageRef,
  type Outbound,
} from '../chat/types.js';
import type { Agent } from '../store/agents.js';
import type { AnyPrompt, Buttons, PromptDefinition } from './definePrompt.js';
import { mayDecide } from './mayDecide.js';
import type { ApprovalRecord } from '../api/records.js';

const buttonIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/** Why a program's request was refused when no chat could show its card, and what to set up first. */
const unshown = (kind: string, about: Agent | undefined): string =>
  [
    `No chat could be shown the ${kind} approval card`,
    about ? ` for ${about.name}: no chat follows it` : '',
    ' and no admin’s private chat with the bot could be reached, so nothing was asked and nothing changed. ',
    about ? `Have a chat follow it (/alerts on agent ${about.name}, or /alerts on all), or have` : 'Have',
    ' an admin open a private chat with the bot (Telegram) or run the console, then ask again.',
  ].join('');

/**
 * Cards that ask for a decision. Any command can ask; this module alone decides whether a press counts
 * (see mayDecide) and carries it out through the card's own definition.
 */
export function createApprovals(deps: {
  store: Store;
  messenger: Messenger;
  prompts: readonly AnyPrompt[];
  services: () => Services;
  clock: Clock;
  log: Logger;
  ttlMs: number;
  policyFor: (card: AnyPrompt) => ApprovalPolicy;
}) {
  const { store, messenger, clock, log } = deps;
  const audit = auditLog(store);
  const audience = createAudience(store);
  const cards = new Map<string, AnyPrompt>();
  for (const card of deps.prompts) {
    if (cards.has(card.kind)) throw new Error(`two prompt definitions of kind ${card.kind}`);
    cards.set(card.kind, card);
  }
  /** Only registered cards may be posted: a press finds its card by kind. */
  const assertRegistered = (card: AnyPrompt): void => {
    if (cards.get(card.kind) !== card) throw new Error(`the ${card.kind} card is not in the prompt registry`);
  };

  /**
   * Brings every message showing the card to its outcome: the one pressed on, and each other one in a
   * chat that may still be told. One chat failing (the bot was removed) leaves the others edited.
   */
  const editCard = async (
    card: AnyPrompt,
    prompt: Prompt,
    out: Outbound,
    pressedIn?: ChatRef,
  ): Promise<void> => {
    if (card.onAnswer) return;
    const shown = prompt.shownOn.filter(
      (m) =>
        (pressedIn && chatKey(m.chat) === chatKey(pressedIn)) ||
        audience.mayTellAsker(m.chat, prompt.requestedBy),
    );
    await Promise.all(
      shown.map((m) =>
        messenger
          .edit(m, out)
          .catch((err: unknown) =>
            log.warn({ err, prompt: prompt.id, chat: m.chat }, 'could not edit a card'),
          ),
      ),
    );
  };
  const expiredCard = (card: AnyPrompt, prompt: Prompt): Outbound =>
    card.expired(card.payload.parse(prompt.payload));

  /** Stores a fresh prompt with one opaque button id per choice of its card. */
  const create = <Choices extends readonly [string, ...string[]], Payload, View>(
    card: PromptDefinition<Choices, Payload, View>,
    p: {
      payload: Payload;
      chat: ChatRef;
      requestedBy: string;
      ttlMs: number;
      policy: ApprovalPolicy;
      approveChoice?: string;
    },
  ): { prompt: Prompt; buttons: Buttons<Choices[number]> } => {
    assertRegistered(card);
    const { prompt, buttonIds } = store.prompts.create({ ...p, kind: card.kind, choices: [...card.choices] });
    return { prompt, buttons: buttonIds as Buttons<Choices[number]> };
  };

  /**
   * Where a program's request is shown: the chats that follow the agent, and each admin's private
   * chat on Telegram and the console, where that chat's id is the person's. Slack admins are reached
   * through their followed chats only: a post to a Slack user id lands in a DM channel of another id,
   * which the bridge does not report, so a press there could not be matched to the card.
   */
  const decidersOf = (about: Agent | undefined): ChatRef[] => {
    const admins = store.principals
      .admins()
      .filter((a) => a.platform === 'telegram' || a.platform === 'console')
      .map((a): ChatRef => ({ platform: a.platform, chatId: a.userId }));
    const chats = [...(about ? audience.followers(about) : []), ...admins].filter((c) =>
      messenger.runs(c.platform),
    );
    return [...new Map(chats.map((c) => [chatKey(c), c])).values()];
  };

  /** Posts the card to everyone who may decide; how many chats show it (a chat that fails is skipped). */
  const showToDeciders = async (
    prompt: Prompt,
    drawn: Outbound,
    about: Agent | undefined,
  ): Promise<number> => {
    const posted = await Promise.all(
      decidersOf(about).map((chat) =>
        messenger.send(chat, drawn).then(
          (ref) => {
            store.prompts.showOn(prompt.id, ref);
            return 1;
          },
          (err: unknown) => {
            log.warn({ err, prompt: prompt.id, chat }, 'could not show an approval card');
            return 0;
          },
        ),
      ),
    );
    return posted.reduce<number>((sum, n) => sum + n, 0);
  };

  /** A fresh card under the `self` policy, drawn with its buttons, for the caller to show. */
  const issue = <Choices extends readonly [string, ...string[]], Payload, View>(
    card: PromptDefinition<Choices, Payload, View>,
    p: { payload: Payload; view: View; chat: ChatRef; ttlMs: number; requestedBy: string },
  ): { promptId: string; drawn: Outbound } => {
    const { prompt, buttons } = create(card, {
      payload: p.payload,
      chat: p.chat,
      requestedBy: p.requestedBy,
      ttlMs: p.ttlMs,
      policy: 'self',
      approveChoice: card.approveChoice,
    });
    const drawn = card.draw(p.view, {
      buttons,
      expiresAt: prompt.expiresAt,
      policy: 'self',
      requestedBy: p.requestedBy,
    });
    return { promptId: prompt.id, drawn };
  };

  return {
    /**
     * Posts a card asking for a decision on the caller's request, under the card kind's approval policy:
     * in the caller's chat, or, for a program (whose chat shows no buttons), in every chat that follows
     * the agent the card is about and in each admin's private chat, where a press on any card decides.
     */
    async ask<Choices extends readonly [string, ...string[]], Payload, View>(
      caller: Caller,
      card: PromptDefinition<Choices, Payload, View>,
      payload: Payload,
      view: View,
      about?: Agent,
    ): Promise<ApprovalRecord> {
      const policy = deps.policyFor(card);
      const { prompt, buttons } = create(card, {
        payload,
        chat: caller.chat,
        requestedBy: caller.principal,
        ttlMs: deps.ttlMs,
        policy,
        approveChoice: card.approveChoice,
      });
      const drawn = card.draw(view, {
        buttons,
        expiresAt: prompt.expiresAt,
        policy,
        requestedBy: caller.principal,
      });
      let shownIn = 1;
      // A program's chat shows no buttons (nor does a chat no bridge here serves, as for `fleetbot mcp`).
      if (caller.scopes === undefined && messenger.runs(caller.chat.platform)) {
        const ref = await messenger.send(caller.chat, drawn);
        store.prompts.attachMessage(prompt.id, ref.messageId);
      } else {
        shownIn = await showToDeciders(prompt, drawn, about);
        if (shownIn === 0) {
          store.prompts.decide(prompt.id, 'fleetbot', 'not shown');
          throw new UserError(unshown(card.kind, about));
        }
      }
      audit(caller, card.kind, 'requested', shownIn > 1 ? `shown in ${shownIn} chats` : undefined);
      return {
        status: 'pending_approval',
        id: prompt.id,
        kind: card.kind,
        requestedBy: caller.principal,
        expiresAt: new Date(prompt.expiresAt).toISOString(),
        shownIn,
      };
    },

    async press(caller: Caller, inbound: Extract<Inbound, { kind: 'action' }>): Promise<ActionAnswer> {
      const id = buttonIdSchema.safeParse(inbound.actionId);
      const found = id.success ? store.prompts.resolveButton(id.data) : undefined;
      const card = found && cards.get(found.prompt.kind);
      const verdict = mayDecide({ found, card, caller, message: inbound.message, now: clock.now() });
      if (!found || !card || (!verdict.ok && verdict.reason === 'unknown button')) {
        audit(caller, 'button', 'rejected: unknown button', inbound.actionId.slice(0, 64));
        return {
          text: 'This button is not valid any more. Run the command again for a fresh card.',
          alert: true,
        };
      }
      const { prompt, choice } = found;
      if (!verdict.ok) {
        switch (verdict.reason) {
          case 'already decided':
            audit(caller, prompt.kind, 'rejected: already decided');
            return { text: `Already resolved (${prompt.decision} by ${prompt.decidedBy}).` };
          case 'expired':
            if (store.prompts.decide(prompt.id, 'fleetbot', 'expired'))
              await editCard(card, prompt, expiredCard(card, prompt), caller.chat);
            audit(caller, prompt.kind, 'rejected: expired');
            return { text: 'This request expired. Run the command again for a fresh card.', alert: true };
          case 'refused':
            audit(caller, prompt.kind, 'refused', verdict.refusal);
            return { text: verdict.refusal, alert: true };
        }
      }
      if (!card.multiUse && !store.prompts.decide(prompt.id, caller.principal, choice)) {
        return { text: 'Someone already resolved this card.' };
      }
      try {
        const reply = (out: Outbound) => messenger.send(caller.chat, out);
        const payload = card.payload.parse(prompt.payload);
        const result = await card.decide(
          { ...caller, services: deps.services(), reply },
          { payload, choice, prompt },
        );
        // A card that approves nothing (a permission's Allow or Reject) is audited with the choice itself.
        audit(
          caller,
          prompt.kind,
          card.multiUse || !prompt.approveChoice
            ? choice
            : choice === prompt.approveChoice
              ? 'approved'
              : 'declined',
        );
        if (result.card) await editCard(card, prompt, result.card, caller.chat);
        return { text: result.toast };
      } catch (err) {
        const text =
          err instanceof UserError ? err.message : 'Something went wrong; the bot’s log has the details.';
        if (!(err instanceof UserError)) log.error({ err, prompt: prompt.id }, 'button handler failed');
        audit(caller, prompt.kind, 'error', text);
        await editCard(card, prompt, message(text), caller.chat);
        return { text, alert: true };
      }
    },

    /**
     * Posts a card on fleetbot's own initiative (an alert) whose buttons stay usable until close().
     * Returns the prompt id, by which draw() redraws the card later with the same buttons.
     */
    async post<Choices extends readonly [string, ...string[]], Payload, View>(
      card: PromptDefinition<Choices, Payload, View>,
      p: { payload: Payload; view: View; chat: ChatRef; ttlMs: number },
    ): Promise<{ promptId: string; ref: MessageRef }> {
      const { promptId, drawn } = issue(card, { ...p, requestedBy: 'fleetbot' });
      const ref = await messenger.send(p.chat, drawn);
      store.prompts.attachMessage(promptId, ref.messageId);
      return { promptId, ref };
    },

    /**
     * A card's buttons for a message someone else shows (Stop on an agent's answer): stored and drawn,
     * not sent. Presses count once attach() names the message they are on.
     */
    issue,
    attach(promptId: string, ref: MessageRef): void {
      store.prompts.attachMessage(promptId, ref.messageId);
    },

    /** A posted card drawn afresh from a newer view, with the buttons it was posted with. */
    draw<Choices extends readonly [string, ...string[]], Payload, View>(
      card: PromptDefinition<Choices, Payload, View>,
      promptId: string,
      view: View,
    ): Outbound {
      const prompt = store.prompts.byId(promptId);
      if (!prompt || prompt.kind !== card.kind)
        throw new Error(`prompt ${promptId} is not a ${card.kind} card`);
      const buttons = store.prompts.buttonsOf(promptId) as Buttons<Choices[number]>;
      return card.draw(view, {
        buttons,
        expiresAt: prompt.expiresAt,
        policy: prompt.policy,
        requestedBy: prompt.requestedBy,
      });
    },

    /** Ends a multi-use card's buttons (the incident is over); later presses are told so. */
    close(promptId: string, outcome: string): void {
      store.prompts.decide(promptId, 'fleetbot', outcome);
    },

    /**
     * Marks every card whose time ran out as expired, so nobody reads a stale offer; a card in a chat
     * that may no longer be told is marked in the store only.
     */
    async sweep(): Promise<number> {
      let count = 0;
      for (const prompt of store.prompts.expiredOpen(clock.now())) {
        const card = cards.get(prompt.kind);
        if (!card || !store.prompts.decide(prompt.id, 'fleetbot', 'expired')) continue;
        count++;
        audit({ user: userOfKey(prompt.requestedBy), chat: prompt.chat }, prompt.kind, 'expired');
        await editCard(card, prompt, expiredCard(card, prompt));
      }
      return count;
    },
  };
}
export type Approvals = ReturnType<typeof createApprovals>;
