import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  CallbackQuery,
  InlineKeyboardMarkup,
  MaybeInaccessibleMessage,
  Message,
  Update,
} from 'grammy/types';
import { botCommandEntities } from './bot-commands.js';
import type { FakeState } from './context.js';
import type { Violation } from './errors.js';
import { FailureInjector } from './failures.js';
import { FloodControl } from './flood.js';
import { botHandlers } from './methods-bot.js';
import { messageHandlers } from './methods-messages.js';
import { createApiServer } from './server.js';
import { findMethod } from './spec.js';
import { CallbackQueries, ChatStore, CommandStore, toUser } from './state.js';
import type { ChatRecord } from './state.js';
import type { CallRecord, FakeTelegram, FakeTelegramOptions, FakeUser } from './types.js';
import { UpdateQueue } from './updates.js';

const DEFAULT_TOKEN = '123456789:AAFakeTelegramTokenForFleetbotTests01';
const DEFAULT_ADMIN: FakeUser = { id: 1, firstName: 'Group Admin' };

/** Starts a fake Bot API server on a random 127.0.0.1 port; see types.ts for the control API. */
export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const token = options.token ?? DEFAULT_TOKEN;
  const botId = Number(token.split(':')[0]);
  if (!Number.isSafeInteger(botId) || botId <= 0)
    throw new Error(`token must start with the bot id: ${token}`);
  const botUsername = options.botUsername ?? 'fleetbot_test_bot';

  const state: FakeState = {
    me: {
      id: botId,
      is_bot: true,
      first_name: 'Fleetbot Test',
      username: botUsername,
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      can_manage_bots: false,
      supports_join_request_queries: false,
    },
    chats: new ChatStore(),
    updates: new UpdateQueue(options.longPollCapMs ?? 50_000),
    flood: new FloodControl({
      perChatPerSecond: options.perChatPerSecond ?? 1,
      perChatBurst: options.perChatBurst ?? 3,
      groupPerMinute: options.groupPerMinute ?? 20,
    }),
    draftFlood: new FloodControl({
      perChatPerSecond: options.draftsPerSecond ?? 5,
      perChatBurst: options.draftsPerSecond ?? 5,
      groupPerMinute: Infinity,
    }),
    drafts: [],
    currentDrafts: new Map(),
    callbackQueries: new CallbackQueries(options.callbackAnswerWindowMs ?? 15_000),
    commands: new CommandStore(),
    callbackAnswers: [],
    stats: { tooManyRequests: 0, byChat: new Map() },
    files: new Map(),
  };
  const calls: CallRecord[] = [];
  const violations: Violation[] = [];
  const failures = new FailureInjector();

  const handlers = new Map(Object.entries({ ...botHandlers(state), ...messageHandlers(state) }));
  for (const name of handlers.keys()) {
    if (findMethod(name)?.name !== name)
      throw new Error(`fake Telegram handler "${name}" is not a Bot API method`);
  }
  const server = createApiServer({ token, handlers, failures, calls, violations, stats: state.stats });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  let callbackSeq = 0;
  let closing: Promise<void> | undefined;

  const newMessage = (record: ChatRecord, from: FakeUser, now: number): Message => {
    const message: Message = {
      message_id: state.chats.nextMessageId(record),
      date: Math.floor(now / 1000),
      chat: record.chat,
    };
    if (record.chat.type === 'channel') message.sender_chat = record.chat;
    else message.from = toUser(from);
    return message;
  };

  const push = (record: ChatRecord, message: Message): number => {
    record.messages.set(message.message_id, { wire: message, deleted: false });
    return state.updates.push(
      record.chat.type === 'channel'
        ? { channel_post: message as Message & Update.Channel }
        : { message: message as Message & Update.NonChannel },
    );
  };

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    botId,
    botUsername,

    sendText(p) {
      const record = state.chats.register(p.chat, p.from);
      const message = newMessage(record, p.from, Date.now());
      message.text = p.text;
      const entities = botCommandEntities(p.text);
      if (entities.length > 0) message.entities = entities;
      if (p.threadId !== undefined) message.message_thread_id = p.threadId;
      if (p.isTopicMessage ?? (p.threadId !== undefined && p.chat.isForum === true))
        message.is_topic_message = true;
      if (p.replyTo !== undefined) {
        const target = record.messages.get(p.replyTo);
        if (target === undefined) throw new Error(`sendText: chat ${p.chat.id} has no message ${p.replyTo}`);
        message.reply_to_message = { ...target.wire, reply_to_message: undefined };
      }
      return push(record, message);
    },

    pressButton(p) {
      const record = state.chats.register(p.chat, p.from);
      const stored = record.messages.get(p.messageId);
      if (stored?.fake === undefined) {
        throw new Error(`pressButton: the bot sent no message ${p.messageId} to chat ${p.chat.id}`);
      }
      // A client may still show a keyboard the bot has since replaced, so any earlier version counts.
      if (!p.forged && !stored.fake.history.some((v) => hasCallbackButton(v.replyMarkup, p.data))) {
        throw new Error(
          `pressButton: message ${p.messageId} never had a button with callback_data ${JSON.stringify(p.data)}`,
        );
      }
      const now = Date.now();
      callbackSeq += 1;
      const callbackQueryId = `${p.from.id}${String(callbackSeq).padStart(6, '0')}`;
      const message: MaybeInaccessibleMessage = stored.deleted
        ? { chat: record.chat, message_id: p.messageId, date: 0 }
        : stored.wire;
      const query: CallbackQuery = {
        id: callbackQueryId,
        from: toUser(p.from),
        message,
        chat_instance: String(Math.abs(record.chat.id) * 7 + botId),
        data: p.data,
      };
      state.callbackQueries.add(callbackQueryId, now);
      return { updateId: state.updates.push({ callback_query: query }), callbackQueryId };
    },

    migrateChat(oldChatId, newChatId) {
      const old = state.chats.getOrInfer(oldChatId);
      if (old.chat.type !== 'group')
        throw new Error(`migrateChat: chat ${oldChatId} is a ${old.chat.type}, not a group`);
      const upgraded = state.chats.register({ id: newChatId, type: 'supergroup', title: old.chat.title });
      const now = Date.now();
      // The server announces the upgrade in both chats, old one first.
      const farewell = newMessage(old, DEFAULT_ADMIN, now);
      farewell.migrate_to_chat_id = newChatId;
      push(old, farewell);
      old.migratedTo = newChatId;
      const welcome = newMessage(upgraded, DEFAULT_ADMIN, now);
      welcome.migrate_from_chat_id = oldChatId;
      push(upgraded, welcome);
    },

    blockChat(chatId) {
      state.chats.getOrInfer(chatId).blocked = true;
    },

    isPolling: () => state.updates.polling,

    failNext(method, reply) {
      const known = findMethod(method);
      if (known === undefined) throw new Error(`failNext: "${method}" is not a Bot API method`);
      failures.add(known.name, reply);
    },

    messages: (chatId) => state.chats.botMessages(chatId),
    drafts: (chatId) => state.drafts.filter((d) => d.chatId === chatId),
    currentDraft: (chatId) => state.currentDrafts.get(chatId),

    lastText(chatId) {
      return state.chats
        .botMessages(chatId)
        .filter((m) => !m.deleted)
        .at(-1)?.plainText;
    },

    callbackAnswers: state.callbackAnswers,
    commands: (scope) => state.commands.get(scope, undefined),
    calls,
    stats: state.stats,
    violations,

    assertNoViolations() {
      if (violations.length === 0) return;
      const lines = violations.map(
        (v, i) => `  ${i + 1}. ${v.method}${v.field === undefined ? '' : ` ${v.field}`}: ${v.problem}`,
      );
      throw new Error(
        `The bot broke the Telegram Bot API ${violations.length} time(s):\n${lines.join('\n')}`,
      );
    },

    async waitFor(predicate, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      let lastError: unknown;
      for (;;) {
        try {
          if (predicate()) return;
        } catch (err) {
          // Predicates often dereference state that does not exist yet; treat that as "not yet".
          lastError = err;
        }
        if (Date.now() >= deadline) {
          const recent = calls.slice(-5).map((c) => `${c.method} -> ${c.status}`);
          throw new Error(
            [
              `waitFor timed out after ${timeoutMs} ms: ${predicate.toString()}`,
              lastError === undefined
                ? ''
                : `last predicate error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}`,
              `last API calls: ${recent.length > 0 ? recent.join(', ') : 'none'}`,
            ]
              .filter((line) => line !== '')
              .join('\n'),
          );
        }
        await sleep(10);
      }
    },

    close() {
      closing ??= (async () => {
        state.updates.shutdown();
        // Let the released long poll write its response before connections are torn down.
        await new Promise((resolve) => setImmediate(resolve));
        const closed = new Promise<void>((resolve, reject) =>
          server.close((err) => (err ? reject(err) : resolve())),
        );
        server.closeIdleConnections();
        const force = setTimeout(() => server.closeAllConnections(), 200);
        try {
          await closed;
        } finally {
          clearTimeout(force);
        }
      })();
      return closing;
    },
  };
}

function hasCallbackButton(markup: InlineKeyboardMarkup | undefined, data: string): boolean {
  return (markup?.inline_keyboard ?? []).some((row) =>
    row.some((button) => 'callback_data' in button && button.callback_data === data),
  );
}
