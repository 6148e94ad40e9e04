import type { z } from 'zod';
import type { Fleet } from './fleet.js';
import type { JobService } from './jobs/service.js';
import type { Logger } from './logging.js';
import type { Store } from './store/index.js';
import type { Level } from './store/principals.js';
import type { Prompt } from './store/prompts.js';
import type { ChatRef, MessageRef, Outbound, UserRef } from './types.js';

/** The core services a command may use; none of them is a platform or a cloud API. */
export type Services = { fleet: Fleet; jobs: JobService; store: Store; log: Logger; now: () => number };

export type Caller = { user: UserRef; chat: ChatRef; level: Level; principal: string };

export type CommandContext = Caller & {
  services: Services;
  reply(message: Outbound): Promise<MessageRef>;
  /** Posts a card whose buttons resolve to a prompt of the given kind (single use, expiring). */
  ask(p: {
    kind: string;
    payload: unknown;
    ttlMs: number;
    card: (buttons: Record<string, string>) => Outbound;
  }): Promise<void>;
};

export type FlagSpec = { type: 'value' | 'boolean'; short?: string };

export type CommandSpec<S extends z.ZodType = z.ZodType> = {
  name: string;
  summary: string;
  usage: string;
  permission: Level;
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
  /** Who may press its buttons at all. */
  permission: Level;
  /** The decisions its card offers; each gets its own opaque button id. */
  choices: readonly string[];
  decide(
    ctx: Caller & { services: Services },
    prompt: Prompt,
    choice: string,
  ): Promise<{ card: Outbound; toast: string }>;
  /** The card as it should read once the prompt expired unused. */
  expired(prompt: Prompt): Outbound;
};
