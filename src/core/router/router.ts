import { randomBytes } from 'node:crypto';
import type { Access, Caller } from '../access/access.js';
import type { Approvals } from '../prompts/approvals.js';
import { auditLog } from '../access/auditLog.js';
import type { Clock } from '../runtime/clock.js';
import type { CommandContext, CommandSpec, Services } from './command.js';
import { bindArgs, parseCommandLine } from './commandLine.js';
import { UserError } from '../runtime/errors.js';
import type { Logger } from '../runtime/logging.js';
import type { Messenger } from '../chat/messenger.js';
import { code, message } from '../chat/outbound.js';
import { createRateLimiter } from '../access/rateLimit.js';
import type { Store } from '../store/index.js';
import { principalKey, type ActionAnswer, type Inbound, type Outbound } from '../chat/types.js';

const refusalCooldownMs = 10 * 60_000;

export type Router = { handle(inbound: Inbound): Promise<ActionAnswer | void> };

/**
 * Every inbound event passes here: parse, identify, rate-limit, check the level, validate arguments,
 * dispatch, audit. Replies go out through the messenger; nothing here knows a platform.
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
  const lastRefusal = new Map<string, number>();
  const limiter = createRateLimiter({ clock, perMinute: deps.commandsPerMinute });

  /** One refusal per person and chat per cool-down, so a stranger cannot make the bot spam a group. */
  const refuseOnce = async (inbound: Inbound, refusal: Outbound): Promise<ActionAnswer | void> => {
    audit(inbound, inbound.kind === 'command' ? 'command' : 'button', 'refused: not allowed');
    const key = `${principalKey(inbound.user)}|${inbound.chat.platform}:${inbound.chat.chatId}`;
    const last = lastRefusal.get(key);
    if (last !== undefined && clock.now() - last < refusalCooldownMs) return;
    lastRefusal.set(key, clock.now());
    if (inbound.kind === 'action') return { text: 'You are not allowed to use fleetbot here.', alert: true };
    await messenger.send(inbound.chat, refusal, { onlyFor: inbound.user });
  };

  const contextFor = (caller: Caller): CommandContext => ({
    ...caller,
    services: deps.services,
    reply: (out) => messenger.send(caller.chat, out),
    ask: (card, payload, view) => deps.approvals.ask(caller, card, payload, view),
  });

  const execute = async (
    caller: Caller,
    spec: CommandSpec,
    tokens: string[],
    shown: string,
  ): Promise<void> => {
    const reply = (out: Outbound): Promise<unknown> => messenger.send(caller.chat, out);
    // Refusals and errors concern only the person who asked, not everyone in the channel.
    const tellSender = (out: Outbound): Promise<unknown> =>
      messenger.send(caller.chat, out, { onlyFor: caller.user });
    const bound = bindArgs(tokens, spec);
    const args = bound.ok ? spec.args.safeParse(bound.values) : undefined;
    if (!bound.ok || !args?.success) {
      const problem = bound.ok ? (args?.error?.issues[0]?.message ?? 'Invalid arguments.') : bound.error;
      audit(caller, spec.name, 'rejected: bad arguments', shown);
      await tellSender(message(problem, ['Usage: ', code(spec.usage)]));
      return;
    }
    const needed = spec.permissionFor?.(args.data);
    const refusal = needed && access.refuseBelow(caller, needed, `/${spec.name} ${tokens[0] ?? ''}`.trim());
    if (refusal) {
      audit(caller, spec.name, `refused: needs ${needed}`, shown);
      await tellSender(refusal);
      return;
    }
    try {
      const out = await spec.run(contextFor(caller), args.data);
      audit(caller, spec.name, 'ok', shown);
      if (out) await reply(out);
    } catch (err) {
      if (err instanceof UserError) {
        audit(caller, spec.name, 'refused', err.message);
        await tellSender(message(err.message));
        return;
      }
      const ref = randomBytes(3).toString('hex');
      log.error({ err, ref, command: spec.name }, 'command failed');
      audit(caller, spec.name, 'error', `ref ${ref}`);
      await tellSender(
        message(
          `Something went wrong running /${spec.name} (ref ${ref}). The bot’s log has the details; try again in a moment.`,
        ),
      );
    }
  };

  const runCommand = async (inbound: Extract<Inbound, { kind: 'command' }>): Promise<void> => {
    const parsed = parseCommandLine(inbound.text);
    if (!parsed.ok && 'notCommand' in parsed) {
      if (inbound.direct)
        await messenger.send(inbound.chat, message('Commands start with a slash. Try /help.'), {
          onlyFor: inbound.user,
        });
      return;
    }
    const own = messenger.username(inbound.chat.platform);
    if (parsed.ok && parsed.line.botName && own && parsed.line.botName.toLowerCase() !== own.toLowerCase())
      return;
    const spec = parsed.ok ? commands.get(parsed.line.name) : undefined;
    // A public command's arguments are secrets (pairing codes): the audit says only that it was used.
    const shown = !parsed.ok
      ? inbound.text.slice(0, 100)
      : spec?.public
        ? `/${parsed.line.name} …`
        : `/${parsed.line.name} ${parsed.line.tokens.join(' ')}`.trim();

    const who = access.identify(inbound);
    if (!who.ok) {
      // A public command (pairing) is for people not on the list yet, and only in a private chat.
      if (spec?.public && inbound.direct && parsed.ok) {
        const stranger: Caller = {
          user: inbound.user,
          chat: inbound.chat,
          level: 'viewer',
          principal: principalKey(inbound.user),
        };
        await execute(stranger, spec, parsed.line.tokens, shown);
      } else if (spec?.public) {
        audit(inbound, spec.name, 'ignored: not a private chat');
      } else {
        await refuseOnce(inbound, who.refusal);
      }
      return;
    }
    const { caller } = who;
    // Refusals and errors concern only the person who asked, not everyone in the channel.
    const tellSender = (out: Outbound): Promise<unknown> =>
      messenger.send(caller.chat, out, { onlyFor: caller.user });
    const allowed = limiter.take(caller.principal);
    if (!allowed.ok) {
      audit(caller, 'command', 'refused: rate limit', shown);
      if (allowed.tell) {
        await tellSender(
          message(
            `Easy: that is more than ${deps.commandsPerMinute} commands a minute. Try again in ${Math.ceil(allowed.retryInMs / 1000)} s.`,
          ),
        );
      }
      return;
    }
    if (!parsed.ok) {
      audit(caller, 'command', 'rejected: unparsable', inbound.text.slice(0, 100));
      await tellSender(message(parsed.error));
      return;
    }
    if (!spec) {
      audit(caller, 'command', 'rejected: unknown command', shown);
      await tellSender(
        message([`I don’t know /${parsed.line.name}. Send `, code('/help'), ' for the list of commands.']),
      );
      return;
    }
    if (spec.public && !inbound.direct) {
      audit(caller, spec.name, 'ignored: not a private chat');
      return;
    }
    const refusal = access.refuseBelow(caller, spec.permission, `/${spec.name}`);
    if (refusal) {
      audit(caller, spec.name, `refused: needs ${spec.permission}`, shown);
      await tellSender(refusal);
      return;
    }
    await execute(caller, spec, parsed.line.tokens, shown);
  };

  const runAction = async (inbound: Extract<Inbound, { kind: 'action' }>): Promise<ActionAnswer | void> => {
    const who = access.identify(inbound);
    if (!who.ok) return refuseOnce(inbound, who.refusal);
    if (!limiter.take(who.caller.principal).ok)
      return { text: 'Too many presses; wait a moment.', alert: true };
    return deps.approvals.press(who.caller, inbound);
  };

  return {
    async handle(inbound) {
      try {
        // Someone wrote from this chat, so it is reachable again (e.g. the bot was unblocked).
        if (store.chats.get(inbound.chat.platform, inbound.chat.chatId)?.unreachable) {
          store.chats.setReachable(inbound.chat.platform, inbound.chat.chatId, true);
        }
        return inbound.kind === 'command' ? await runCommand(inbound) : await runAction(inbound);
      } catch (err) {
        // A failure to reply (chat gone, network) must never take the bot down.
        log.error({ err, chat: inbound.chat }, 'could not handle an inbound event');
      }
    },
  };
}
