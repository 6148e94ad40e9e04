import type { Outbound } from '../chat/types.js';
import type { CommandResult } from '../router/command.js';

/**
 * A command called by a program rather than typed in a chat: the HTTP API, the MCP server. Its key is
 * checked by the router like a person's identity; `args` are the command's own arguments (its schema
 * decides, unknown fields are refused); `conversation` names the key's own conversation for `ask`.
 */
export type ApiCall = {
  /**
   * Who calls: a key as presented (the HTTP API always passes what it was given, even nothing), or
   * the console's admin, which only fleetbot's own processes can claim (`fleetbot mcp` without a key).
   */
  who: { key: string } | { console: true };
  command: string;
  args: Record<string, unknown>;
  conversation?: string;
  /**
   * The program's name for this request (HTTP's Idempotency-Key): repeated by the same principal
   * within 24 hours with the same command and arguments, it gets the first answer again and nothing
   * runs twice; with different ones it is refused.
   */
  idempotencyKey?: string;
};

/**
 * Why a call did not run, in terms a program can branch on; the HTTP API maps each to a status:
 * unauthenticated 401, forbidden 403, rate_limited 429, invalid 400, not_found 404, conflict 409,
 * refused 422, unavailable 503, error 500.
 */
export const problemKinds = [
  'unauthenticated',
  'forbidden',
  'rate_limited',
  'invalid',
  'not_found',
  'conflict',
  'refused',
  'unavailable',
  'error',
] as const;
export type ProblemKind = (typeof problemKinds)[number];

export type CallResult =
  | {
      ok: true;
      /** The principal the key acts as (api:<name>). */
      principal: string;
      result: CommandResult | undefined;
      /** What the command said, as a person would read it in a chat. */
      text: Outbound[];
    }
  | {
      ok: false;
      problem: ProblemKind;
      /** What went wrong and what to do next, as the chat would say it. */
      detail: string;
      retryAfterMs?: number;
    };
