import type { z } from 'zod';
import type { Caller } from '../access/access.js';
import type { Level } from '../access/levels.js';
import type { MessageRef, Outbound } from '../chat/types.js';
import type { Services } from '../router/command.js';
import type { ApprovalPolicy, Prompt } from '../store/prompts.js';

/** The opaque button id of each choice; keyed by the card's own choices, so a drawing cannot name another. */
export type Buttons<Choice extends string> = Record<Choice, string>;

/** What a card is told when it is drawn, besides what it shows. */
export type CardFrame<Choice extends string> = {
  buttons: Buttons<Choice>;
  expiresAt: number;
  policy: ApprovalPolicy;
  requestedBy: string;
};

export type DecideContext = Caller & {
  services: Services;
  reply(message: Outbound): Promise<MessageRef>;
};

/**
 * One kind of button card: what it stores, what it offers, how it is drawn, and what a press does.
 * `View` is what the asker knows when drawing (an agent, its health); `Payload` is what is stored and
 * all a press gets back.
 */
export type PromptDefinition<
  Choices extends readonly [string, ...string[]] = readonly [string, ...string[]],
  Payload = unknown,
  View = unknown,
> = {
  kind: string;
  payload: z.ZodType<Payload>;
  /** The decisions its card offers; each gets its own opaque button id. */
  choices: Choices;
  /** Who may press its buttons at all (per choice where they differ); the approval policy may ask for more. */
  permission: Level | Record<Choices[number], Level>;
  /** The choice that carries a request out under the approval policy; the others decline it. */
  approveChoice?: Choices[number];
  /**
   * Buttons that stay usable (an alert's Restart, Logs, Ack) until core closes the card, instead of
   * being spent on the first decision.
   */
  multiUse?: boolean;
  /**
   * Its buttons sit on an agent's answer (Stop), which the turn draws: approvals never redraw that
   * message, whether the press is decided, refused as expired or fails.
   */
  onAnswer?: boolean;
  /**
   * Who may press, from what the card is about (the person who asked, say), in place of the approval
   * policy: a refusal to show, or undefined. Asked after the level check and before a single-use
   * card's decision is recorded.
   */
  mayPress?(caller: Caller, payload: Payload): string | undefined;
  draw(view: View, frame: CardFrame<Choices[number]>): Outbound;
  /** Carries out the press; for single-use cards the decision is already recorded. */
  decide(
    ctx: DecideContext,
    press: { payload: Payload; choice: Choices[number]; prompt: Prompt },
  ): Promise<{ card?: Outbound; toast: string }>;
  /** The card as it should read once the prompt expired unused. */
  expired(payload: Payload): Outbound;
};

/** Any card, as the registry and approvals hold them. */
export type AnyPrompt = PromptDefinition<readonly [string, ...string[]], unknown, unknown>;

/** Keeps a card's choices, button map, payload and drawing tied together in the types. */
export const definePrompt = <const Choices extends readonly [string, ...string[]], Payload, View>(
  definition: PromptDefinition<Choices, Payload, View>,
): PromptDefinition<Choices, Payload, View> => definition;

export const permissionFor = (prompt: AnyPrompt, choice: string): Level =>
  typeof prompt.permission === 'string' ? prompt.permission : (prompt.permission[choice] ?? 'admin');
