import type { Access, Caller } from '../access/access.js';
import { message } from '../chat/outbound.js';
import { UserError } from '../runtime/errors.js';
import { auditLog } from '../access/auditLog.js';
import { createRateLimiter } from '../access/rateLimit.js';
import type { Messenger } from '../chat/messenger.js';
import { principalKey, type ActionAnswer, type Inbound } from '../chat/types.js';
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

export type Router = { handle(inbound: Inbound): Promise<ActionAnswer | void> };

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

  const contextFor = (caller: Caller, direct: boolean): CommandContext => ({
    ...caller,
    direct,
    services: deps.services,
    reply: (out) => messenger.send(caller.chat, out),
    ask: (card, payload, view) => deps.approvals.ask(caller, card, payload, view),
  });

  const command = async (inbound: Extract<Inbound, { kind: 'command' }>): Promise<Outcome> => {
    const request = parse(inbound, { commands, ownName: messenger.username(inbound.chat.platform) });
    if (!request.ok) return request.outcome;
    const { shown } = request.value;
    const who = identify(inbound, request.value, { access, refusals });
    if (!who.ok) return who.outcome;
    const caller = rateLimit(inbound, who.value, request.value, limits);
    if (!caller.ok) return caller.outcome;
    const resolved = resolve(inbound, request.value);
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
    const caller = rateLimit(inbound, { caller: who.caller, listed: true }, undefined, limits);
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
    const caller = rateLimit(inbound, who.value, undefined, limits);
    if (!caller.ok) return caller.outcome;
    // A press is audited by approvals, which alone knows what the button was.
    return { answer: await deps.approvals.press(caller.value, inbound) };
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
