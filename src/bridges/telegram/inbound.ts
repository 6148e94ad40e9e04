import { z } from 'zod';
import type { ChatRef, Inbound, UserRef } from '../../core/chat/types.js';

// Only the fields fleetbot reads, validated: whatever else an update carries is ignored.
const user = z.object({
  id: z.number().int(),
  is_bot: z.boolean().optional(),
  first_name: z.string().optional(),
  username: z.string().optional(),
});
const chat = z.object({ id: z.number().int(), type: z.enum(['private', 'group', 'supergroup', 'channel']) });
const entity = z.object({ type: z.string(), offset: z.number().int(), length: z.number().int() });
const message = z.object({
  message_id: z.number().int(),
  date: z.number().int(),
  chat,
  from: user.optional(),
  text: z.string().optional(),
  entities: z.array(entity).optional(),
  message_thread_id: z.number().int().optional(),
  is_topic_message: z.boolean().optional(),
  migrate_to_chat_id: z.number().int().optional(),
  reply_to_message: z.object({ message_id: z.number().int(), from: user.optional() }).optional(),
});
const update = z.object({
  update_id: z.number().int(),
  message: message.optional(),
  callback_query: z
    .object({
      id: z.string(),
      from: user,
      data: z.string().optional(),
      message: message.partial({ date: true }).optional(),
    })
    .optional(),
});

export type TelegramUpdate = z.output<typeof update>;

export type Decoded =
  | { kind: 'inbound'; inbound: Inbound; callbackQueryId?: string }
  | { kind: 'migrated'; from: ChatRef; to: ChatRef }
  | { kind: 'ignored'; reason: string };

const chatRef = (m: {
  chat: { id: number };
  message_thread_id?: number | undefined;
  is_topic_message?: boolean | undefined;
}): ChatRef => ({
  platform: 'telegram',
  chatId: String(m.chat.id),
  // Replies go to the topic the command came from. The General topic (id 1) must be addressed by
  // leaving the thread out, and non-topic replies carry thread ids that are not topics at all.
  ...(m.is_topic_message && m.message_thread_id !== undefined && m.message_thread_id !== 1
    ? { threadId: String(m.message_thread_id) }
    : {}),
});

const userRef = (u: z.output<typeof user>): UserRef => ({
  platform: 'telegram',
  userId: String(u.id),
  ...(u.username ? { name: `@${u.username}` } : u.first_name ? { name: u.first_name } : {}),
});

/**
 * Turns a raw update into what the router understands: commands, and plain messages in a private chat
 * or, in groups, replies to the bot's own messages (`botId`); other group chatter is not for the bot.
 */
export function decodeUpdate(raw: unknown, at: Date, botId?: number): Decoded {
  const parsed = update.safeParse(raw);
  if (!parsed.success) return { kind: 'ignored', reason: 'not an update fleetbot reads' };
  const { message: m, callback_query: cq } = parsed.data;
  if (m?.migrate_to_chat_id !== undefined) {
    return {
      kind: 'migrated',
      from: { platform: 'telegram', chatId: String(m.chat.id) },
      to: { platform: 'telegram', chatId: String(m.migrate_to_chat_id) },
    };
  }
  if (m) {
    if (!m.from || m.from.is_bot || m.text === undefined)
      return { kind: 'ignored', reason: 'not a person’s text message' };
    const direct = m.chat.type === 'private';
    const chat = chatRef(m);
    const isCommand = m.entities?.some((e) => e.type === 'bot_command' && e.offset === 0) ?? false;
    if (isCommand)
      return {
        kind: 'inbound',
        inbound: { kind: 'command', chat, user: userRef(m.from), direct, text: m.text, at },
      };
    const replied =
      botId !== undefined && m.reply_to_message?.from?.id === botId ? m.reply_to_message : undefined;
    if (!direct && !replied) return { kind: 'ignored', reason: 'group chatter' };
    return {
      kind: 'inbound',
      inbound: {
        kind: 'message',
        chat,
        user: userRef(m.from),
        direct,
        text: m.text,
        message: { chat, messageId: String(m.message_id) },
        ...(replied ? { replyTo: { chat, messageId: String(replied.message_id) } } : {}),
        at,
      },
    };
  }
  if (cq) {
    if (cq.data === undefined || !cq.message || cq.from.is_bot)
      return { kind: 'ignored', reason: 'button without data or message' };
    const chat = chatRef(cq.message);
    return {
      kind: 'inbound',
      callbackQueryId: cq.id,
      inbound: {
        kind: 'action',
        chat,
        user: userRef(cq.from),
        direct: cq.message.chat.type === 'private',
        message: { chat, messageId: String(cq.message.message_id) },
        actionId: cq.data,
        at,
      },
    };
  }
  return { kind: 'ignored', reason: 'update kind fleetbot does not use' };
}
