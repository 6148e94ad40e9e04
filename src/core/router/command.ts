import type { z } from 'zod';
import type { Access, Caller } from '../access/access.js';
import type { Conversations } from '../conversations/service.js';
import type { Fleet } from '../fleet/fleet.js';
import type { Alerts } from '../monitor/alerts.js';
import type { Reconciler } from '../fleet/reconcile.js';
import type { JobService } from '../jobs/service.js';
import type { Logger } from '../runtime/logging.js';
import type { Pairing } from '../access/pairing.js';
import type { Store } from '../store/index.js';
import type { Level } from '../access/levels.js';
import type { PromptDefinition } from '../prompts/definePrompt.js';
import type { MessageRef, Outbound } from '../chat/types.js';
import type { ApiScope } from '../access/apiScopes.js';
import type { ApprovalRecord } from '../api/records.js';
import type { Agent } from '../store/agents.js';

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
  conversations: Conversations;
  log: Logger;
  now: () => number;
};

export type CommandContext = Caller & {
  /** A one-to-one chat with the bot (a DM, the console), not a group or channel. */
  direct: boolean;
  services: Services;
  reply(message: Outbound): Promise<MessageRef>;
  /**
   * Posts the card, drawn from the view, whose buttons decide a prompt with this payload. Core makes the
   * buttons single use, bound to the card's messages, expiring, and enforces the configured approval
   * policy on each press. A program's request goes to the chats that follow `about` and to the admins.
   */
  ask<Choices extends readonly [string, ...string[]], Payload, View>(
    card: PromptDefinition<Choices, Payload, View>,
    payload: Payload,
    view: View,
    about?: Agent,
  ): Promise<ApprovalRecord>;
};

/** One server-sent event of a command's stream: its resumable id, its type and its JSON data. */
export type StreamEvent = { id?: string; event: string; data: unknown };

/**
 * What a command hands back when programs call it too: the chat's text, and the same facts as a record
 * (`src/core/api/records.ts`) for the HTTP API, the MCP server and `--json`. `pending` marks a request
 * that waits for someone's decision (a destroy's approval): accepted, not done. `events` is a live
 * stream a program may follow (a job's steps); chats never read it.
 */
export type CommandResult = {
  text?: Outbound;
  record: Record<string, unknown>;
  pending?: boolean;
  accepted?: boolean;
  events?: (after: string | undefined, signal: AbortSignal) => AsyncIterable<StreamEvent>;
};

/** The chat's text with the record programs get. */
export const withRecord = (record: Record<string, unknown>, text?: Outbound): CommandResult => ({
  record,
  ...(text ? { text } : {}),
});

export const isCommandResult = (out: Outbound | CommandResult): out is CommandResult => 'record' in out;

export type FlagSpec = { type: 'value' | 'boolean'; short?: string };

export type CommandSpec<S extends z.ZodType = z.ZodType> = {
  name: string;
  summary: string;
  usage: string;
  permission: Level;
  /**
   * What an API key needs to use it (through the HTTP API, MCP or a key's CLI): reading is
   * `agents:read`, changing agents `agents:deploy`, destroying `agents:destroy`, talking to them
   * `agents:chat`, and everything about fleetbot itself (people, keys, alerts) `admin`.
   */
  scope: ApiScope;
  /** A higher level some arguments need (`/alerts` lists for viewers; `/alerts on all` is for admins). */
  permissionFor?: (args: z.output<S>) => Level;
  /** Usable by people not (yet) on the allowlist, in a private chat only: pairing. */
  public?: boolean;
  /**
   * Names that positional arguments bind to, in order; a trailing ? marks an optional one, and a last
   * name ending in ... takes the remaining words as a list (`/keys create ci agents:read agents:deploy`).
   */
  positional: string[];
  /**
   * The last positional is free text (a prompt): the rest of the line as typed, never split or read
   * for options. The audit then shows its size, not its words.
   */
  freeText?: boolean;
  flags?: Record<string, FlagSpec>;
  args: S;
  run(ctx: CommandContext, args: z.output<S>): Promise<Outbound | CommandResult | void>;
};

/** Keeps the args schema and the handler's argument type tied together. */
export const defineCommand = <S extends z.ZodType>(spec: CommandSpec<S>): CommandSpec => spec;
