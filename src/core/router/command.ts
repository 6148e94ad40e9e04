import type { z } from 'zod';
import type { Access, Caller } from '../access/access.js';
import type { Fleet } from '../fleet/fleet.js';
import type { Alerts } from '../monitor/alerts.js';
import type { Reconciler } from '../fleet/reconcile.js';
import type { JobService } from '../jobs/service.js';
import type { Logger } from '../runtime/logging.js';
import type { Pairing } from '../access/pairing.js';
import type { Store } from '../store/index.js';
import type { Level } from '../access/levels.js';
import type { ApprovalPolicy, Prompt } from '../store/prompts.js';
import type { MessageRef, Outbound } from '../chat/types.js';

export type { Caller };

/** The core services a command may use; none of them is a platform or a cloud API. */
export type Services = {
  fleet: Fleet;
  jobs: JobService;
  store: Store;
  access: Access;
  pairing: Pairing;
  alerts: Alerts;
  reconciler: Reconciler;
  log: Logger;
  now: () => number;
};

/** What a card asking for a decision is told when it is drawn. */
export type AskCard = {
  buttons: Record<string, string>;
  expiresAt: number;
  policy: ApprovalPolicy;
  requestedBy: string;
};

export type CommandContext = Caller & {
  services: Services;
  reply(message: Outbound): Promise<MessageRef>;
  /**
   * Posts a card whose buttons decide a prompt of the given kind. Core makes the buttons single use,
   * bound to this chat and card, expiring, and enforces the configured approval policy on each press.
   */
  ask(p: { kind: string; payload: unknown; card: (card: AskCard) => Outbound }): Promise<void>;
};

export type FlagSpec = { type: 'value' | 'boolean'; short?: string };

export type CommandSpec<S extends z.ZodType = z.ZodType> = {
  name: string;
  summary: string;
  usage: string;
  permission: Level;
  /** A higher level some arguments need (`/alerts` lists for viewers; `/alerts on all` is for admins). */
  permissionFor?: (args: z.output<S>) => Level;
  /** Usable by people not (yet) on the allowlist, in a private chat only: pairing. */
  public?: boolean;
  /** Names that positional arguments bind to, in order; a trailing ? marks an optional one. */
  positional: string[];
  flags?: Record<string, FlagSpec>;
  args: S;
  run(ctx: CommandContext, args: z.output<S>): Promise<Outbound | void>;
};

/** Keeps the args schema and the handler's argument type tied together. */
export const defineCommand = <S extends z.ZodType>(spec: CommandSpec<S>): CommandSpec => spec;

/** What happens when someone presses a button of a prompt of this kind. */
export type PromptHandler = {
  kind: string;
  /** Who may press its buttons at all (per choice where they differ); the approval policy may ask for more. */
  permission: Level | Record<string, Level>;
  /** The decisions its card offers; each gets its own opaque button id. */
  choices: readonly string[];
  /** The choice that carries a request out under the approval policy; the others decline it. */
  approveChoice?: string;
  /**
   * Buttons that stay usable (an alert's Restart, Logs, Ack) until core closes the card, instead of
   * being spent on the first decision.
   */
  multiUse?: boolean;
  /** Carries out the press; for single-use cards the decision is already recorded. */
  decide(
    ctx: Caller & { services: Services; reply(message: Outbound): Promise<MessageRef> },
    prompt: Prompt,
    choice: string,
  ): Promise<{ card?: Outbound; toast: string }>;
  /** The card as it should read once the prompt expired unused. */
  expired(prompt: Prompt): Outbound;
};

export const permissionFor = (handler: PromptHandler, choice: string): Level =>
  typeof handler.permission === 'string' ? handler.permission : (handler.permission[choice] ?? 'admin');
