import { z } from 'zod';
import type { ChatRef, Inbound, UserRef } from '../../core/chat/types.js';

// Only the fields fleetbot reads, validated; whatever else Slack sends is ignored.
const slashCommand = z.object({
  command: z.string(),
  text: z.string().default(''),
  user_id: z.string().min(1),
  user_name: z.string().optional(),
  channel_id: z.string().min(1),
  trigger_id: z.string().min(1),
  response_url: z.url().optional(),
});

const messageEvent = z.object({
  type: z.enum(['app_mention', 'message']),
  channel: z.string().min(1),
  channel_type: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  subtype: z.string().optional(),
  text: z.string().optional(),
  ts: z.string().optional(),
  thread_ts: z.string().optional(),
});
const eventCallback = z.object({ event_id: z.string().min(1), event: messageEvent });

const blockActions = z.object({
  type: z.literal('block_actions'),
  trigger_id: z.string().min(1),
  user: z.object({ id: z.string().min(1), username: z.string().optional(), name: z.string().optional() }),
  container: z.object({
    message_ts: z.string().optional(),
    channel_id: z.string().optional(),
    thread_ts: z.string().optional(),
    is_ephemeral: z.boolean().optional(),
  }),
  channel: z.object({ id: z.string().min(1) }).optional(),
  actions: z.array(z.object({ action_id: z.string() })).min(1),
});

/**
 * `once` names the delivery so a redelivered one is recognised: the event id for events, the trigger id
 * for commands and presses (Slack makes a new one for every invocation and press).
 */
export type Decoded =
  | { kind: 'inbound'; inbound: Inbound; once: string; responseUrl?: string }
  | { kind: 'ignored'; reason: string };

// Channel ids starting with D are direct messages; C and G are channels and group conversations.
const isDirect = (channel: string): boolean => channel.startsWith('D');

const chatRef = (channel: string, threadTs?: string): ChatRef => ({
  platform: 'slack',
  chatId: channel,
  ...(threadTs ? { threadId: threadTs } : {}),
});

// The display name is for showing only; the id is what the allowlist knows.
const userRef = (id: string, name?: string): UserRef => ({
  platform: 'slack',
  userId: id,
  ...(name ? { name: `@${name}` } : {}),
});

const unescape = (text: string): string =>
  text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/**
 * The router's text form, `/<command> <args>`, from what a person wrote after `/fleet`, after a mention
 * of the bot (words before the mention are a greeting, not the command), or in its DM. Nothing at all
 * asks for help.
 */
export function commandText(raw: string, botUserId?: string): string {
  const found = botUserId ? new RegExp(`<@${botUserId}(\\|[^>]*)?>`).exec(raw) : null;
  const afterMention = found ? raw.slice(found.index + found[0].length) : raw;
  const text = unescape(afterMention).trim().replace(/^\/+/, '');
  return text === '' ? '/help' : `/${text}`;
}

export function decodeCommand(body: unknown, at: Date): Decoded {
  const parsed = slashCommand.safeParse(body);
  if (!parsed.success) return { kind: 'ignored', reason: 'not a slash command fleetbot reads' };
  const c = parsed.data;
  return {
    kind: 'inbound',
    once: `trigger:${c.trigger_id}`,
    ...(c.response_url ? { responseUrl: c.response_url } : {}),
    inbound: {
      kind: 'command',
      chat: chatRef(c.channel_id),
      user: userRef(c.user_id, c.user_name),
      direct: isDirect(c.channel_id),
      text: commandText(c.text),
      at,
    },
  };
}

/** Whether what someone wrote in the bot's DM is a command: a slash, or a command's name first. */
const isCommandText = (text: string, commandNames: readonly string[]): boolean => {
  const first = unescape(text).trim().split(/\s+/, 1)[0] ?? '';
  return first.startsWith('/') || commandNames.includes(first.toLowerCase());
};

/**
 * A mention in a channel or a command in the bot's DM is a command; any other message a person writes
 * (in the DM, in a thread, in a channel) is a plain message, whose thread is its conversation. Never
 * another bot's message, an edit, a join or any other subtype.
 */
export function decodeEvent(
  body: unknown,
  botUserId: string,
  at: Date,
  commandNames: readonly string[] = [],
): Decoded {
  const parsed = eventCallback.safeParse(body);
  if (!parsed.success) return { kind: 'ignored', reason: 'not an event fleetbot reads' };
  const { event_id, event: e } = parsed.data;
  if (!e.user || e.bot_id || e.subtype || e.user === botUserId || e.text === undefined)
    return { kind: 'ignored', reason: 'not a person’s new message' };
  const direct = isDirect(e.channel);
  if (e.type === 'app_mention' && direct) return { kind: 'ignored', reason: 'DM mention, seen as a message' };
  if (e.type === 'message') {
    // A mention comes twice, as app_mention and as a message; the mention is the one that counts.
    if (!direct && e.text.includes(`<@${botUserId}`))
      return { kind: 'ignored', reason: 'mention, seen as app_mention' };
    if (!direct || e.thread_ts || !isCommandText(e.text, commandNames))
      return plainMessage(event_id, e, direct, at);
  }
  return {
    kind: 'inbound',
    once: `event:${event_id}`,
    inbound: {
      kind: 'command',
      chat: chatRef(e.channel, e.thread_ts),
      user: userRef(e.user),
      direct,
      text: commandText(e.text, botUserId),
      at,
    },
  };
}

function plainMessage(eventId: string, e: z.output<typeof messageEvent>, direct: boolean, at: Date): Decoded {
  if (!e.ts || !e.user || e.text === undefined) return { kind: 'ignored', reason: 'message without ts' };
  const chat = chatRef(e.channel, e.thread_ts);
  return {
    kind: 'inbound',
    once: `event:${eventId}`,
    inbound: {
      kind: 'message',
      chat,
      user: userRef(e.user),
      direct,
      text: unescape(e.text),
      message: { chat, messageId: e.ts },
      // In Slack a thread is a conversation: a message in one answers its root.
      ...(e.thread_ts ? { replyTo: { chat, messageId: e.thread_ts } } : {}),
      at,
    },
  };
}

export function decodeAction(body: unknown, at: Date): Decoded {
  const parsed = blockActions.safeParse(body);
  if (!parsed.success) return { kind: 'ignored', reason: 'not a button press fleetbot reads' };
  const a = parsed.data;
  const channel = a.container.channel_id ?? a.channel?.id;
  const messageTs = a.container.message_ts;
  if (!channel || !messageTs || a.container.is_ephemeral)
    return { kind: 'ignored', reason: 'press on a message fleetbot cannot edit' };
  const chat = chatRef(channel, a.container.thread_ts);
  return {
    kind: 'inbound',
    once: `trigger:${a.trigger_id}`,
    inbound: {
      kind: 'action',
      chat,
      user: userRef(a.user.id, a.user.username ?? a.user.name),
      direct: isDirect(channel),
      message: { chat, messageId: messageTs },
      actionId: a.actions[0]!.action_id,
      at,
    },
  };
}
