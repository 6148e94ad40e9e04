import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from './clock.js';
import type { Caller, CommandContext, CommandSpec, PromptHandler, Services } from './command.js';
import { bindArgs, parseCommandLine } from './commandLine.js';
import { UserError } from './errors.js';
import type { Logger } from './logging.js';
import type { Messenger } from './messenger.js';
import { code, message } from './outbound.js';
import type { Store } from './store/index.js';
import { levelRank, type Level } from './store/principals.js';
import {
  principalKey,
  type ActionAnswer,
  type ChatRef,
  type Inbound,
  type Outbound,
  type UserRef,
} from './types.js';

const refusalCooldownMs = 10 * 60_000;
const buttonIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export type Router = { handle(inbound: Inbound): Promise<ActionAnswer | void> };

export function createRouter(deps: {
  commands: CommandSpec[];
  prompts: PromptHandler[];
  services: Services;
  messenger: Messenger;
  store: Store;
  clock: Clock;
  log: Logger;
}): Router {
  const { store, messenger, clock, log } = deps;
  const commands = new Map(deps.commands.map((c) => [c.name, c]));
  const promptHandlers = new Map(deps.prompts.map((p) => [p.kind, p]));
  const lastRefusal = new Map<string, number>();

  const audit = (
    caller: { user: UserRef; chat: ChatRef },
    action: string,
    outcome: string,
    detail?: string,
  ): void =>
    store.audit.append({
      platform: caller.user.platform,
      userId: caller.user.userId,
      chatId: caller.chat.chatId,
      action,
      outcome,
      ...(detail === undefined ? {} : { detail: detail.slice(0, 300) }),
    });

  /** Who is asking, at what level; or why they may not ask at all. */
  const identify = (inbound: Inbound): { ok: true; caller: Caller } | { ok: false; refusal: Outbound } => {
    const { user, chat } = inbound;
    const principal = store.principals.get(user.platform, user.userId);
    const chatAllowed = inbound.direct || store.chats.get(chat.platform, chat.chatId)?.allowed === true;
    const ids = [
      `your id: `,
      code(principalKey(user)),
      ', this chat: ',
      code(`${chat.platform}:${chat.chatId}`),
    ];
    if (!chatAllowed) {
      return {
        ok: false,
        refusal: message('This chat is not allowed to use fleetbot.', [
          ...ids,
          '. An admin can allow it by adding the chat to FLEETBOT_CHATS.',
        ]),
      };
    }
    // Members of an allowed group may look (viewer); doing anything needs a personal grant.
    const level: Level | undefined = principal?.level ?? (inbound.direct ? undefined : 'viewer');
    if (!level) {
      return {
        ok: false,
        refusal: message('You are not on fleetbot’s allowlist.', [
          ...ids,
          '. Ask an admin to add you to FLEETBOT_ADMINS or grant you access.',
        ]),
      };
    }
    return { ok: true, caller: { user, chat, level, principal: principalKey(user) } };
  };

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
    async ask(p) {
      const handler = promptHandlers.get(p.kind);
      if (!handler) throw new Error(`no prompt handler for ${p.kind}`);
      const { prompt, buttonIds } = store.prompts.create({
        kind: p.kind,
        payload: p.payload,
        chat: caller.chat,
        requestedBy: caller.principal,
        ttlMs: p.ttlMs,
        choices: [...handler.choices],
      });
      const ref = await messenger.send(caller.chat, p.card(buttonIds));
      store.prompts.attachMessage(prompt.id, ref.messageId);
    },
  });

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

    const who = identify(inbound);
    if (!who.ok) {
      await refuseOnce(inbound, who.refusal);
      return;
    }
    const { caller } = who;
    const reply = (out: Outbound): Promise<unknown> => messenger.send(caller.chat, out);
    // Refusals and errors concern only the person who asked, not everyone in the channel.
    const tellSender = (out: Outbound): Promise<unknown> =>
      messenger.send(caller.chat, out, { onlyFor: caller.user });
    if (!parsed.ok) {
      audit(caller, 'command', 'rejected: unparsable', inbound.text.slice(0, 100));
      await tellSender(message(parsed.error));
      return;
    }
    const { line } = parsed;
    const spec = commands.get(line.name);
    const shown = `/${line.name} ${line.tokens.join(' ')}`.trim();
    if (!spec) {
      audit(caller, 'command', 'rejected: unknown command', shown);
      await tellSender(
        message([`I don’t know /${line.name}. Send `, code('/help'), ' for the list of commands.']),
      );
      return;
    }
    if (levelRank(caller.level) < levelRank(spec.permission)) {
      audit(caller, spec.name, `refused: needs ${spec.permission}`, shown);
      await tellSender(
        message(
          `/${spec.name} needs the ${spec.permission} level; you are ${caller.level}.`,
          'Ask an admin to grant it (admins are listed in FLEETBOT_ADMINS).',
        ),
      );
      return;
    }
    const bound = bindArgs(line.tokens, spec);
    const args = bound.ok ? spec.args.safeParse(bound.values) : undefined;
    if (!bound.ok || !args?.success) {
      const problem = bound.ok ? (args?.error?.issues[0]?.message ?? 'Invalid arguments.') : bound.error;
      audit(caller, spec.name, 'rejected: bad arguments', shown);
      await tellSender(message(problem, ['Usage: ', code(spec.usage)]));
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

  const runAction = async (inbound: Extract<Inbound, { kind: 'action' }>): Promise<ActionAnswer | void> => {
    const who = identify(inbound);
    if (!who.ok) return refuseOnce(inbound, who.refusal);
    const { caller } = who;
    const id = buttonIdSchema.safeParse(inbound.actionId);
    const found = id.success ? store.prompts.resolveButton(id.data) : undefined;
    // A button from another chat is as good as forged: ids are only valid where they were shown.
    if (
      !found ||
      found.prompt.chat.platform !== caller.chat.platform ||
      found.prompt.chat.chatId !== caller.chat.chatId
    ) {
      audit(caller, 'button', 'rejected: unknown button', inbound.actionId.slice(0, 64));
      return {
        text: 'This button is not valid any more. Run the command again for a fresh card.',
        alert: true,
      };
    }
    const { prompt, choice } = found;
    const handler = promptHandlers.get(prompt.kind);
    if (!handler) return { text: 'This button is not valid any more.', alert: true };
    if (prompt.decidedAt !== null) {
      return { text: `Already resolved (${prompt.decision} by ${prompt.decidedBy}).` };
    }
    if (levelRank(caller.level) < levelRank(handler.permission)) {
      audit(caller, prompt.kind, `refused: needs ${handler.permission}`);
      return { text: `This needs the ${handler.permission} level; you are ${caller.level}.`, alert: true };
    }
    const edit = async (out: Outbound): Promise<void> => {
      if (prompt.messageId) await messenger.edit({ chat: prompt.chat, messageId: prompt.messageId }, out);
    };
    if (clock.now() >= prompt.expiresAt) {
      if (store.prompts.decide(prompt.id, 'fleetbot', 'expired')) await edit(handler.expired(prompt));
      audit(caller, prompt.kind, 'rejected: expired');
      return { text: 'This request expired. Run the command again for a fresh card.', alert: true };
    }
    if (!store.prompts.decide(prompt.id, caller.principal, choice)) {
      return { text: 'Someone already resolved this card.' };
    }
    try {
      const result = await handler.decide({ ...caller, services: deps.services }, prompt, choice);
      audit(caller, prompt.kind, choice);
      await edit(result.card);
      return { text: result.toast };
    } catch (err) {
      const text =
        err instanceof UserError ? err.message : 'Something went wrong; the bot’s log has the details.';
      if (!(err instanceof UserError)) log.error({ err, prompt: prompt.id }, 'button handler failed');
      audit(caller, prompt.kind, 'error', text);
      await edit(message(text));
      return { text, alert: true };
    }
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
