import { randomBytes } from 'node:crypto';
import type { Access, Caller } from '../access/access.js';
import { levelRank, type Level } from '../access/levels.js';
import { closest } from './didYouMean.js';
import { argumentWords } from './argumentWords.js';
import { createCooldown, type Cooldown } from '../access/cooldown.js';
import type { RateLimiter } from '../access/rateLimit.js';
import { code, message } from '../chat/outbound.js';
import { chatKey, principalKey, type ActionAnswer, type Inbound, type Outbound } from '../chat/types.js';
import type { Clock } from '../runtime/clock.js';
import { UserError } from '../runtime/errors.js';
import type { Logger } from '../runtime/logging.js';
import { isCommandResult, type CommandContext, type CommandResult, type CommandSpec } from './command.js';
import type { ProblemKind } from '../api/call.js';
import { bindArgs, parseCommandLine, type ParseResult } from './commandLine.js';

type CommandInbound = Extract<Inbound, { kind: 'command' }>;

/** How an inbound event ends: at most one audit row (about the sender, in the chat), and what to tell whom. */
export type Outcome = {
  audit?: { action: string; outcome: string; detail?: string };
  /** Refusals and mistakes concern only the person who asked, not everyone in the channel. */
  toSender?: Outbound;
  /** A command's result, for the whole chat. */
  toChat?: Outbound;
  /** What the command handed back for programs (the API, MCP, --json). */
  result?: CommandResult;
  /** Why a command did not run, for programs: the UserError's kind, or how the router stopped it. */
  problem?: ProblemKind;
  /** When a rate-limited caller may try again. */
  retryAfterMs?: number;
  /** The answer to a button press. */
  answer?: ActionAnswer;
  /** The sender is not on the allowlist: their audit rows are coalesced (one per cool-down). */
  fromStranger?: boolean;
  /** Whom the audit row names when nobody was identified: a refused key, by its name. */
  auditAs?: Pick<Caller, 'user' | 'chat'>;
};

/** A stage either hands the next stage its value or ends the event with an outcome. */
export type Stage<T> = { ok: true; value: T } | { ok: false; outcome: Outcome };

export const next = <T>(value: T): Stage<T> => ({ ok: true, value });
export const stop = (outcome: Outcome): Stage<never> => ({ ok: false, outcome });

/** A command line as read, before anyone is identified. */
export type Request = {
  parsed: Exclude<ParseResult, { notCommand: true }>;
  spec: CommandSpec | undefined;
  /** The command line as the audit shows it. */
  shown: string;
};

const shownWithoutText = (name: string, tokens: string[]): string => {
  const cut = tokens.indexOf('--');
  if (cut === -1) return `/${name} ${tokens.join(' ')}`.trim();
  return `/${name} ${tokens.slice(0, cut).join(' ')} (${tokens.slice(cut + 1).join(' ').length} characters)`;
};

/** Reads the command line; chatter that is not a command, or is addressed to another bot, ends here. */
export function parse(
  inbound: CommandInbound,
  deps: { commands: ReadonlyMap<string, CommandSpec>; ownName: string | undefined },
): Stage<Request> {
  const parsed = parseCommandLine(inbound.text, (name) => {
    const spec = deps.commands.get(name);
    return spec?.freeText ? spec.positional.length - 1 : undefined;
  });
  if (!parsed.ok && 'notCommand' in parsed) {
    return stop(inbound.direct ? { toSender: message('Commands start with a slash. Try /help.') } : {});
  }
  const botName = parsed.ok ? parsed.line.botName : undefined;
  if (botName && deps.ownName && botName.toLowerCase() !== deps.ownName.toLowerCase()) return stop({});
  const spec = parsed.ok ? deps.commands.get(parsed.line.name) : undefined;
  // A public command's arguments are secrets (pairing codes): the audit says only that it was used.
  // Free text (a prompt) is the person's words to an agent: the audit keeps its size only.
  const shown = !parsed.ok
    ? inbound.text.slice(0, 100)
    : spec?.public
      ? `/${parsed.line.name} …`
      : spec?.freeText
        ? shownWithoutText(parsed.line.name, parsed.line.tokens)
        : `/${parsed.line.name} ${parsed.line.tokens.join(' ')}`.trim();
  return next({ parsed, spec, shown });
}

/** Someone identified: on the allowlist, or a stranger let in for a public command (pairing). */
export type Identified = { caller: Caller; listed: boolean };

const strangerWindowMs = 10 * 60_000;
/** How many strangers the router remembers at once (refusals told, audit rows, rate limits). */
export const strangersKept = 1_000;

/**
 * One refusal per person and chat per cool-down, so a stranger cannot make the bot spam a group; at
 * most `strangersKept` remembered, so a flood of distinct strangers cannot grow it.
 */
export const createRefusalCooldown = (clock: Clock): Cooldown =>
  createCooldown({ clock, windowMs: strangerWindowMs, maxKeys: strangersKept });

/**
 * One audit row per stranger per cool-down (the first of their events, or a successful pairing):
 * what strangers can write to the append-only audit is bounded by the number kept and the window.
 */
export const createStrangerAudit = (clock: Clock): Cooldown =>
  createCooldown({ clock, windowMs: strangerWindowMs, maxKeys: strangersKept });

/**
 * Who is asking. People not on the allowlist are refused, except that a public command (pairing) is for
 * them, in a private chat only.
 */
export function identify(
  inbound: Inbound,
  request: Request | undefined,
  deps: { access: Access; refusals: Cooldown },
): Stage<Identified> {
  const who = deps.access.identify(inbound);
  if (who.ok) return next({ caller: who.caller, listed: true });
  const spec = request?.spec;
  if (spec?.public && inbound.direct && request?.parsed.ok) {
    const caller: Caller = {
      user: inbound.user,
      chat: inbound.chat,
      level: 'viewer',
      principal: principalKey(inbound.user),
    };
    return next({ caller, listed: false });
  }
  if (spec?.public)
    return stop({ audit: { action: spec.name, outcome: 'ignored: not a private chat' }, fromStranger: true });
  const audit = {
    action: inbound.kind === 'command' ? 'command' : 'button',
    outcome: 'refused: not allowed',
  };
  if (!deps.refusals.admit(`${principalKey(inbound.user)}|${chatKey(inbound.chat)}`))
    return stop({ audit, fromStranger: true });
  return stop(
    inbound.kind === 'action'
      ? {
          audit,
          fromStranger: true,
          answer: { text: 'You are not allowed to use fleetbot here.', alert: true },
        }
      : { audit, fromStranger: true, toSender: who.refusal },
  );
}

/**
 * Each person gets so many commands and presses a minute; strangers (who get this far only with a
 * public command in a private chat) are counted in a table of their own, so a flood of them cannot
 * crowd out the people on the allowlist.
 */
export function rateLimit(
  kind: Inbound['kind'] | 'call',
  who: Identified,
  request: Pick<Request, 'shown'> | undefined,
  deps: { limiter: RateLimiter; strangers: RateLimiter; perMinute: number },
): Stage<Caller> {
  const allowed = (who.listed ? deps.limiter : deps.strangers).take(who.caller.principal);
  if (allowed.ok) return next(who.caller);
  const fromStranger = !who.listed;
  if (kind === 'action') return stop({ answer: { text: 'Too many presses; wait a moment.', alert: true } });
  const audit = { action: 'command', outcome: 'refused: rate limit', detail: request?.shown };
  const problem = { problem: 'rate_limited', retryAfterMs: allowed.retryInMs } as const;
  // A program is told every time (its answer is its only way to know); a chat once per cool-down.
  if (!allowed.tell && kind !== 'call') return stop({ audit, fromStranger, ...problem });
  return stop({
    audit,
    fromStranger,
    ...problem,
    toSender: message(
      `Easy: that is more than ${deps.perMinute} commands a minute. Try again in ${Math.ceil(allowed.retryInMs / 1000)} s.`,
    ),
  });
}

/** A word with spaces or quotes in it, quoted so the suggested line reads back as the same words. */
const quotedWord = (word: string): string => (/[\s"']/.test(word) ? JSON.stringify(word) : word);

/**
 * "Did you mean": the closest command this person may run, with the words they typed after it, so a
 * typo (`/destory alice`) is answered with the line to send.
 */
function suggestion(
  name: string,
  tokens: string[],
  commands: ReadonlyMap<string, CommandSpec>,
  level: Level,
): string | undefined {
  const runnable = [...commands.values()]
    .filter((c) => !c.public && levelRank(level) >= levelRank(c.permission))
    .map((c) => c.name);
  const match = closest(name, runnable);
  if (!match) return undefined;
  const line = [`/${match}`, ...tokens.map(quotedWord)].join(' ');
  return line.length > 80 ? `/${match}` : line;
}

/** The command asked for, if the line parsed, names one, and the command may be used in this chat. */
export function resolve(
  inbound: CommandInbound,
  request: Request,
  deps: { commands: ReadonlyMap<string, CommandSpec>; level: Level },
): Stage<{ spec: CommandSpec; tokens: string[] }> {
  const { parsed, spec, shown } = request;
  if (!parsed.ok) {
    return stop({
      audit: { action: 'command', outcome: 'rejected: unparsable', detail: inbound.text.slice(0, 100) },
      toSender: message(parsed.error),
    });
  }
  if (!spec) {
    const audit = { action: 'command', outcome: 'rejected: unknown command', detail: shown };
    const meant = suggestion(parsed.line.name, parsed.line.tokens, deps.commands, deps.level);
    if (meant)
      return stop({
        audit,
        toSender: message([`Unknown command /${parsed.line.name}. Did you mean `, code(meant), '?']),
      });
    return stop({
      audit,
      toSender: message([
        `I don’t know /${parsed.line.name}. Send `,
        code('/help'),
        ' for the list of commands.',
      ]),
    });
  }
  if (spec.public && !inbound.direct) {
    return stop({ audit: { action: spec.name, outcome: 'ignored: not a private chat' } });
  }
  return next({ spec, tokens: parsed.line.tokens });
}

/** Whether the caller has the level; asked once for the command and once more for what its arguments need. */
export function authorize(
  caller: Caller,
  need: { level: Level | undefined; what: string; action: string; shown: string },
  deps: { access: Access },
): Stage<Caller> {
  const refusal = need.level && deps.access.refuseBelow(caller, need.level, need.what);
  if (!refusal) return next(caller);
  return stop({
    audit: { action: need.action, outcome: `refused: needs ${need.level}`, detail: need.shown },
    toSender: refusal,
    problem: 'forbidden',
  });
}

/** The command's arguments, bound to its positional names and flags and checked by its schema. */
export function bind(spec: CommandSpec, tokens: string[], shown: string): Stage<unknown> {
  const bound = bindArgs(tokens, spec);
  const args = bound.ok ? spec.args.safeParse(bound.values, { error: argumentWords(spec) }) : undefined;
  if (bound.ok && args?.success) return next(args.data);
  const problem = bound.ok ? (args?.error?.issues[0]?.message ?? 'Invalid arguments.') : bound.error;
  return stop({
    audit: { action: spec.name, outcome: 'rejected: bad arguments', detail: shown },
    toSender: message(problem, ['Usage: ', code(spec.usage)]),
    problem: 'invalid',
  });
}

/** Runs the command; a UserError is the sender's mistake, anything else is ours and gets a reference. */
export async function run(
  ctx: CommandContext,
  spec: CommandSpec,
  args: unknown,
  shown: string,
  deps: { log: Logger },
): Promise<Outcome> {
  try {
    const out = await spec.run(ctx, args);
    const audit = { action: spec.name, outcome: 'ok', detail: shown };
    if (!out) return { audit };
    if (!isCommandResult(out)) return { audit, toChat: out };
    return { audit, result: out, ...(out.text ? { toChat: out.text } : {}) };
  } catch (err) {
    if (err instanceof UserError) {
      return {
        audit: { action: spec.name, outcome: 'refused', detail: err.message },
        toSender: message(err.message),
        problem: err.kind,
      };
    }
    const ref = randomBytes(3).toString('hex');
    deps.log.error({ err, ref, command: spec.name }, 'command failed');
    return {
      problem: 'error',
      audit: { action: spec.name, outcome: 'error', detail: `ref ${ref}` },
      toSender: message(
        `Something went wrong running /${spec.name} (ref ${ref}). The bot’s log has the details; try again in a moment.`,
      ),
    };
  }
}
