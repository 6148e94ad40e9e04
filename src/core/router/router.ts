import type { Access, Caller } from '../access/access.js';
import { message, plainText } from '../chat/outbound.js';
import type { ApiCall, CallResult } from '../api/call.js';
import { authenticate, bindRecord, scoped, shownCall } from './callStages.js';
import { recall } from './idempotentCall.js';
import { UserError } from '../runtime/errors.js';
import { auditLog } from '../access/auditLog.js';
import { createRateLimiter } from '../access/rateLimit.js';
import type { Messenger } from '../chat/messenger.js';
import { principalKey, type ActionAnswer, type Inbound, type Outbound } from '../chat/types.js';
import type { Approvals } from '../prompts/approvals.js';
import type { Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/logging.js';
import type { Store } from '../store/index.js';
import type { CommandContext, CommandSpec, Services } from './command.js';
import {
  authorize,
  bind,
  createRefusalCooldown,
  createStrangerAudit,
  identify,
  parse,
  rateLimit,
  resolve,
  run,
  strangersKept,
  type Outcome,
} from './stages.js';

const notACommand = message(
  'Commands start with a slash: try /help. To talk to an agent here, send /chat <name> first.',
);

export type Router = {
  handle(inbound: Inbound): Promise<ActionAnswer | void>;
  /** A command called by a program with an API key: the same stages, audit and limits as a chat's. */
  call(request: ApiCall): Promise<CallResult>;
};

/**
 * Every inbound event passes here, through stages that each hand on a value or end the event:
 * parse → identify → rate-limit → resolve → authorize → bind → run for commands, identify → rate-limit
 * → press for buttons. How it ended is audited once and told to whom it concerns; nothing here knows a
 * platform.
 */
export function createRouter(deps: {
  commands: CommandSpec[];
  services: Services;
  access: Access;
  approvals: Approvals;
  messenger: Messenger;
  store: Store;
  clock: Clock;
  log: Logger;
  commandsPerMinute: number;
}): Router {
  const { store, messenger, clock, log, access } = deps;
  const commands = new Map(deps.commands.map((c) => [c.name, c]));
  const audit = auditLog(store);
  const refusals = createRefusalCooldown(clock);
  const strangerAudit = createStrangerAudit(clock);
  const limits = {
    limiter: createRateLimiter({ clock, perMinute: deps.commandsPerMinute, maxKeys: 10_000 }),
    strangers: createRateLimiter({ clock, perMinute: deps.commandsPerMinute, maxKeys: strangersKept }),
    perMinute: deps.commandsPerMinute,
  };

  const unknownKeys = createStrangerAudit(clock);
  const contextFor = (
    caller: Caller,
    direct: boolean,
    reply: CommandContext['reply'] = (out) => messenger.send(caller.chat, out),
  ): CommandContext => ({
    ...caller,
    direct,
    services: deps.services,
    reply,
    ask: (card, payload, view, about) => deps.approvals.ask(caller, card, payload, view, about),
  });

  const command = async (inbound: Extract<Inbound, { kind: 'command' }>): Promise<Outcome> => {
    const request = parse(inbound, { commands, ownName: messenger.username(inbound.chat.platform) });
    if (!request.ok) return request.outcome;
    const { shown } = request.value;
    const who = identify(inbound, request.value, { access, refusals });
    if (!who.ok) return who.outcome;
    const caller = rateLimit(inbound.kind, who.value, request.value, limits);
    if (!caller.ok) return caller.outcome;
    const resolved = resolve(inbound, request.value, { commands, level: caller.value.level });
    if (!resolved.ok) return resolved.outcome;
    const { spec, tokens } = resolved.value;
    const permitted = authorize(
      caller.value,
      { level: spec.permission, what: `/${spec.name}`, action: spec.name, shown },
      { access },
    );
    if (!permitted.ok) return permitted.outcome;
    const args = bind(spec, tokens, shown);
    if (!args.ok) return args.outcome;
    const permittedArgs = authorize(
      caller.value,
      {
        level: spec.permissionFor?.(args.value),
        what: `/${spec.name} ${tokens[0] ?? ''}`.trim(),
        action: spec.name,
        shown,
      },
      { access },
    );
    if (!permittedArgs.ok) return permittedArgs.outcome;
    const outcome = await run(contextFor(caller.value, inbound.direct), spec, args.value, shown, { log });
    return who.value.listed ? outcome : { ...outcome, fromStranger: true };
  };

  /** A reply to an answer, or a message in /chat mode: identify → rate-limit → the conversation. */
  const plainMessage = (inbound: Extract<Inbound, { kind: 'message' }>): Outcome => {
    const who = access.identify(inbound);
    // A stranger replying to an answer is told nothing: no refusal to farm, no row per message.
    if (!who.ok) return {};
    const caller = rateLimit(inbound.kind, { caller: who.caller, listed: true }, undefined, limits);
    if (!caller.ok) return caller.outcome;
    try {
      deps.services.conversations.message(caller.value, inbound);
      return {};
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      return {
        audit: { action: 'ask', outcome: 'refused', detail: err.message },
        toSender: message(err.message),
      };
    }
  };

  const action = async (inbound: Extract<Inbound, { kind: 'action' }>): Promise<Outcome> => {
    const who = identify(inbound, undefined, { access, refusals });
    if (!who.ok) return who.outcome;
    const caller = rateLimit(inbound.kind, who.value, undefined, limits);
    if (!caller.ok) return caller.outcome;
    // A press is audited by approvals, which alone knows what the button was.
    return { answer: await deps.approvals.press(caller.value, inbound) };
  };

  /**
   * authenticate → rate-limit → resolve → scope → authorize → bind → run: what the command replied is
   * collected for the program rather than sent; a stop says why as a problem kind.
   */
  const call = async (
    request: ApiCall,
  ): Promise<{ outcome: Outcome; caller?: Caller; replies: Outbound[] }> => {
    const replies: Outbound[] = [];
    const spec = commands.get(request.command);
    const shown = shownCall(spec, request);
    const ended = (outcome: Outcome, caller?: Caller) => ({
      outcome,
      replies,
      ...(caller ? { caller } : {}),
    });
    const who = authenticate(request, { store, now: () => clock.now(), unknownKeys });
    if (!who.ok) return ended(who.outcome);
    const caller = rateLimit('call', who.value, { shown }, limits);
    if (!caller.ok) return ended(caller.outcome, who.value.caller);
    if (!spec || spec.public) {
      return ended(
        {
          audit: { action: 'api', outcome: 'rejected: unknown command', detail: shown },
          problem: 'not_found',
          toSender: message(`There is no command ${request.command.slice(0, 40)} for programs.`),
        },
        caller.value,
      );
    }
    const inScope = scoped(caller.value, spec, shown);
    if (!inScope.ok) return ended(inScope.outcome, caller.value);
    const permitted = authorize(
      caller.value,
      { level: spec.permission, what: `/${spec.name}`, action: spec.name, shown },
      { access },
    );
    if (!permitted.ok) return ended(permitted.outcome, caller.value);
    const args = bindRecord(spec, request.args, shown);
    if (!args.ok) return ended(args.outcome, caller.value);
    const permittedArgs = authorize(
      caller.value,
      { level: spec.permissionFor?.(args.value), what: `/${spec.name}`, action: spec.name, shown },
      { access },
    );
    if (!permittedArgs.ok) return ended(permittedArgs.outcome, caller.value);
    const fresh = recall(store, caller.value.principal, request, shown);
    if (!fresh.ok) return ended(fresh.outcome, caller.value);
    const ctx = contextFor(caller.value, true, async (out) => {
      replies.push(out);
      return { chat: caller.value.chat, messageId: `reply-${replies.length}` };
    });
    const outcome = await run(ctx, spec, args.value, shown, { log });
    fresh.value.remember(outcome);
    return ended(outcome, caller.value);
  };

  const finish = async (inbound: Inbound, outcome: Outcome): Promise<ActionAnswer | void> => {
    // A stranger's events are audited once per cool-down; a pairing that worked always is.
    const audited =
      !outcome.fromStranger ||
      outcome.audit?.outcome === 'ok' ||
      strangerAudit.admit(principalKey(inbound.user));
    if (outcome.audit && audited)
      audit(inbound, outcome.audit.action, outcome.audit.outcome, outcome.audit.detail);
    if (outcome.toSender) await messenger.send(inbound.chat, outcome.toSender, { onlyFor: inbound.user });
    if (outcome.toChat) await messenger.send(inbound.chat, outcome.toChat);
    return outcome.answer;
  };

  return {
    async call(request) {
      const { outcome, caller, replies } = await call(request);
      const subject = caller ?? outcome.auditAs;
      if (outcome.audit && subject)
        audit(subject, outcome.audit.action, outcome.audit.outcome, outcome.audit.detail);
      if (outcome.problem || !caller) {
        return {
          ok: false,
          problem: outcome.problem ?? 'error',
          detail: outcome.toSender ? plainText(outcome.toSender) : 'The call was refused.',
          ...(outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs }),
        };
      }
      return {
        ok: true,
        principal: caller.principal,
        result: outcome.result,
        text: [...replies, ...(outcome.toChat ? [outcome.toChat] : [])],
      };
    },

    async handle(inbound) {
      try {
        // Someone wrote from this chat, so it is reachable again (e.g. the bot was unblocked).
        if (store.chats.get(inbound.chat.platform, inbound.chat.chatId)?.unreachable) {
          store.chats.setReachable(inbound.chat.platform, inbound.chat.chatId, true);
        }
        if (inbound.kind === 'message') {
          // Chatter that no conversation is waiting for is not fleetbot's: no audit row, and in a group
          // no answer; in a private chat, a hint.
          if (!deps.services.conversations.isFor(inbound))
            return await finish(inbound, inbound.direct ? { toSender: notACommand } : {});
          return await finish(inbound, plainMessage(inbound));
        }
        return await finish(
          inbound,
          inbound.kind === 'command' ? await command(inbound) : await action(inbound),
        );
      } catch (err) {
        // A failure to reply (chat gone, network) must never take the bot down.
        log.error({ err, chat: inbound.chat }, 'could not handle an inbound event');
      }
    },
  };
}
