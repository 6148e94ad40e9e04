import type { Chat, Document, LinkPreviewOptions, Message } from 'grammy/types';
import { chatStats } from './context.js';
import type { CallContext, FakeState, Handler } from './context.js';
import { ApiError, NOT_MODIFIED, badRequest } from './errors.js';
import { caption, draftText, inlineKeyboard, messageText } from './message-rules.js';
import type { FormattedText } from './message-rules.js';
import { isUploadedFile } from './multipart.js';
import { isGroupChat } from './state.js';
import type { ChatRecord, StoredMessage } from './state.js';
import type { FakeMessage } from './types.js';

/** Methods that create, change or remove messages in a chat. */
export function messageHandlers(state: FakeState): Record<string, Handler> {
  return {
    sendMessage: (ctx) => sendMessage(state, ctx),
    sendDocument: (ctx) => sendDocument(state, ctx),
    sendMessageDraft: (ctx) => sendMessageDraft(state, ctx),
    editMessageText: (ctx) => editMessageText(state, ctx),
    editMessageReplyMarkup: (ctx) => editMessageReplyMarkup(state, ctx),
    deleteMessage: ({ params }) => deleteMessage(state, params),
    sendChatAction: ({ params }) => sendChatAction(state, params),
  };
}

const CHAT_ACTIONS = new Set([
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
]);

function sendMessage(state: FakeState, { params, now }: CallContext): Message {
  const record = resolveChat(state, params.chat_id);
  const text = messageText(params, 'send');
  const markup = inlineKeyboard(params.reply_markup);
  const threadId = threadOf(record, params);
  const replyTo = replyTarget(state, record, params);
  const linkPreview = linkPreviewOptions(params);
  spendFlood(state, record, 'send', now);

  const wire = newMessage(state, record, now, threadId, replyTo);
  state.currentDrafts.delete(record.chat.id);
  wire.text = text.plain;
  if (text.entities.length > 0) wire.entities = text.entities;
  if (markup !== undefined) wire.reply_markup = markup;
  if (linkPreview !== undefined) wire.link_preview_options = linkPreview;
  storeBotMessage(record, wire, params, text, now, {
    threadId,
    replyTo: replyTo?.wire.message_id,
    linkPreviewOptions: linkPreview,
  });
  return wire;
}

function sendDocument(state: FakeState, { params, now }: CallContext): Message {
  const record = resolveChat(state, params.chat_id);
  const document = documentOf(state, params.document);
  const formatted = caption(params);
  const markup = inlineKeyboard(params.reply_markup);
  const threadId = threadOf(record, params);
  const replyTo = replyTarget(state, record, params);
  spendFlood(state, record, 'send', now);

  const wire = newMessage(state, record, now, threadId, replyTo);
  state.currentDrafts.delete(record.chat.id);
  wire.document = document;
  if (formatted !== undefined) {
    wire.caption = formatted.plain;
    if (formatted.entities.length > 0) wire.caption_entities = formatted.entities;
  }
  if (markup !== undefined) wire.reply_markup = markup;
  storeBotMessage(record, wire, params, formatted ?? { plain: '', entities: [] }, now, {
    threadId,
    replyTo: replyTo?.wire.message_id,
    document: {
      fileName: document.file_name ?? '',
      size: document.file_size ?? 0,
      ...(state.files.get(document.file_id)?.content === undefined
        ? {}
        : { content: state.files.get(document.file_id)!.content! }),
    },
  });
  return wire;
}

/**
 * A draft is a preview in a private chat only; the newest state per chat shows until the bot sends a
 * message there (or 30 s pass, which tests do not wait for).
 */
function sendMessageDraft(state: FakeState, { params, now }: CallContext): true {
  const record = resolveChat(state, params.chat_id);
  if (record.chat.type !== 'private') throw new ApiError(400, 'Bad Request: TEXTDRAFT_PEER_INVALID');
  if (params.draft_id === 0)
    throw badRequest('draft_id', 'draft_id must be non-zero', 'draft_id must be non-zero');
  threadOf(record, params);
  const text = draftText(params);
  const retryAfter = state.draftFlood.take(record.chat.id, false, now);
  if (retryAfter > 0)
    throw new ApiError(429, `Too Many Requests: retry after ${retryAfter}`, {
      parameters: { retry_after: retryAfter },
    });
  const draft = { chatId: record.chat.id, draftId: Number(params.draft_id), plainText: text.plain, at: now };
  state.drafts.push(draft);
  state.currentDrafts.set(record.chat.id, draft);
  return true;
}

function editMessageText(state: FakeState, { params, now }: CallContext): Message {
  const { record, stored, fake } = editTarget(state, params);
  if (stored.wire.text === undefined)
    throw new ApiError(400, 'Bad Request: there is no text in the message to edit');
  const text = messageText(params, 'edit');
  // An edit without reply_markup removes the keyboard, so "unchanged" means both absent or both equal.
  const markup = inlineKeyboard(params.reply_markup);
  const before = [stored.wire.text, stored.wire.entities ?? [], stored.wire.reply_markup];
  if (sameContent(before, [text.plain, text.entities, markup])) throw new ApiError(400, NOT_MODIFIED);
  spendFlood(state, record, 'edit', now);

  const wire: Message = { ...stored.wire, text: text.plain, edit_date: unixTime(now) };
  delete wire.entities;
  delete wire.reply_markup;
  if (text.entities.length > 0) wire.entities = text.entities;
  if (markup !== undefined) wire.reply_markup = markup;
  stored.wire = wire;
  fake.text = String(params.text);
  fake.plainText = text.plain;
  fake.parseMode = parseModeOf(params);
  fake.replyMarkup = markup;
  fake.history.push({ text: fake.text, replyMarkup: markup, at: now });
  return wire;
}

function editMessageReplyMarkup(state: FakeState, { params, now }: CallContext): Message {
  const { record, stored, fake } = editTarget(state, params);
  const markup = inlineKeyboard(params.reply_markup);
  if (sameContent(stored.wire.reply_markup, markup)) throw new ApiError(400, NOT_MODIFIED);
  spendFlood(state, record, 'edit', now);

  const wire: Message = { ...stored.wire, edit_date: unixTime(now) };
  delete wire.reply_markup;
  if (markup !== undefined) wire.reply_markup = markup;
  stored.wire = wire;
  fake.replyMarkup = markup;
  fake.history.push({ text: fake.text, replyMarkup: markup, at: now });
  return wire;
}

function deleteMessage(state: FakeState, params: Record<string, unknown>): true {
  const record = resolveChat(state, params.chat_id);
  const stored = record.messages.get(Number(params.message_id));
  if (stored === undefined || stored.deleted)
    throw new ApiError(400, 'Bad Request: message to delete not found');
  stored.deleted = true;
  if (stored.fake !== undefined) stored.fake.deleted = true;
  return true;
}

function sendChatAction(state: FakeState, params: Record<string, unknown>): true {
  const record = resolveChat(state, params.chat_id);
  threadOf(record, params);
  if (!CHAT_ACTIONS.has(String(params.action))) {
    throw badRequest(
      'action',
      `unknown chat action ${JSON.stringify(params.action)}`,
      'wrong parameter action in request',
    );
  }
  return true;
}

/** Finds the target chat and applies the chat-wide refusals: unknown, upgraded to supergroup, bot removed. */
export function resolveChat(state: FakeState, chatId: unknown): ChatRecord {
  const record =
    typeof chatId === 'number'
      ? state.chats.getOrInfer(chatId)
      : typeof chatId === 'string' && chatId.startsWith('@')
        ? state.chats.findByUsername(chatId)
        : undefined;
  if (record === undefined) throw new ApiError(400, 'Bad Request: chat not found');
  if (record.migratedTo !== undefined) {
    throw new ApiError(400, 'Bad Request: group chat was upgraded to a supergroup chat', {
      parameters: { migrate_to_chat_id: record.migratedTo },
    });
  }
  if (record.blocked) throw new ApiError(403, blockedDescription(record.chat));
  return record;
}

function blockedDescription(chat: Chat): string {
  return chat.type === 'private'
    ? 'Forbidden: bot was blocked by the user'
    : `Forbidden: bot was kicked from the ${chat.type} chat`;
}

function threadOf(record: ChatRecord, params: Record<string, unknown>): number | undefined {
  const thread = params.message_thread_id;
  if (typeof thread !== 'number') return undefined;
  if (record.chat.type === 'supergroup' && record.chat.is_forum === true && thread === 1) {
    throw badRequest(
      'message_thread_id',
      'thread 1 is the General topic of a forum; omit message_thread_id to post there',
      'message thread not found',
    );
  }
  return thread;
}

function replyTarget(
  state: FakeState,
  record: ChatRecord,
  params: Record<string, unknown>,
): StoredMessage | undefined {
  const reply = params.reply_parameters as
    { message_id?: number; chat_id?: unknown; allow_sending_without_reply?: boolean } | undefined;
  const messageId = reply?.message_id ?? params.reply_to_message_id;
  if (typeof messageId !== 'number') return undefined;
  const allowMissing = reply?.allow_sending_without_reply ?? params.allow_sending_without_reply === true;
  const chat = reply?.chat_id === undefined ? record : resolveChat(state, reply.chat_id);
  const target = chat.messages.get(messageId);
  if (target !== undefined && !target.deleted) return target;
  if (allowMissing) return undefined;
  throw new ApiError(400, 'Bad Request: message to be replied not found');
}

function linkPreviewOptions(params: Record<string, unknown>): LinkPreviewOptions | undefined {
  if (params.link_preview_options !== undefined) return params.link_preview_options as LinkPreviewOptions;
  return params.disable_web_page_preview === true ? { is_disabled: true } : undefined;
}

function spendFlood(state: FakeState, record: ChatRecord, kind: 'send' | 'edit', now: number): void {
  const retryAfter = state.flood.take(record.chat.id, isGroupChat(record.chat), now);
  if (retryAfter > 0) {
    throw new ApiError(429, `Too Many Requests: retry after ${retryAfter}`, {
      parameters: { retry_after: retryAfter },
    });
  }
  const stats = chatStats(state.stats, record.chat.id);
  if (kind === 'send') stats.sends += 1;
  else stats.edits += 1;
}

function editTarget(
  state: FakeState,
  params: Record<string, unknown>,
): { record: ChatRecord; stored: StoredMessage; fake: FakeMessage } {
  // The fake has no inline mode, so no inline message id can be valid.
  if (params.inline_message_id !== undefined) throw new ApiError(400, 'Bad Request: MESSAGE_ID_INVALID');
  if (params.chat_id === undefined || params.message_id === undefined) {
    throw badRequest(
      params.chat_id === undefined ? 'chat_id' : 'message_id',
      'either chat_id and message_id or inline_message_id must be given',
      'message identifier is not specified',
    );
  }
  const record = resolveChat(state, params.chat_id);
  const stored = record.messages.get(Number(params.message_id));
  if (stored === undefined || stored.deleted)
    throw new ApiError(400, 'Bad Request: message to edit not found');
  if (stored.fake === undefined) throw new ApiError(400, "Bad Request: message can't be edited");
  return { record, stored, fake: stored.fake };
}

function documentOf(state: FakeState, value: unknown): Document {
  let file: { fileName: string; size: number; content?: string };
  let fileId: string | undefined;
  if (isUploadedFile(value)) {
    if (value.size === 0) throw badRequest('document', 'uploaded file is empty', 'file must be non-empty');
    file = { fileName: value.fileName, size: value.size, content: value.content.toString('utf8') };
  } else if (typeof value === 'string' && state.files.has(value)) {
    fileId = value;
    file = state.files.get(value) ?? { fileName: '', size: 0 };
  } else if (typeof value === 'string' && /^https?:\/\//.test(value)) {
    // The real server downloads the URL; the fake cannot, so the size stays unknown (0).
    file = {
      fileName: decodeURIComponent(new URL(value).pathname.split('/').pop() ?? '') || 'file',
      size: 0,
    };
  } else {
    throw badRequest(
      'document',
      `${JSON.stringify(value)} is neither an upload, a known file_id nor an HTTP URL`,
      'wrong file identifier/HTTP URL specified',
    );
  }
  if (fileId === undefined) {
    const n = state.files.size + 1;
    fileId = `BQACAgIAAxkBAAI${String(n).padStart(6, '0')}`;
    state.files.set(fileId, file);
  }
  return {
    file_id: fileId,
    file_unique_id: `AgAD${fileId.slice(-6)}`,
    file_name: file.fileName,
    file_size: file.size,
  };
}

function newMessage(
  state: FakeState,
  record: ChatRecord,
  now: number,
  threadId: number | undefined,
  replyTo: StoredMessage | undefined,
): Message {
  const message: Message = {
    message_id: state.chats.nextMessageId(record),
    date: unixTime(now),
    chat: record.chat,
  };
  // In channels posts are signed by the channel, elsewhere by the bot.
  if (record.chat.type === 'channel') message.sender_chat = record.chat;
  else
    message.from = {
      id: state.me.id,
      is_bot: true,
      first_name: state.me.first_name,
      username: state.me.username,
    };
  if (threadId !== undefined) {
    message.message_thread_id = threadId;
    if (record.chat.type === 'supergroup' && record.chat.is_forum === true) message.is_topic_message = true;
  }
  // Telegram embeds the replied-to message one level deep only.
  if (replyTo !== undefined) message.reply_to_message = { ...replyTo.wire, reply_to_message: undefined };
  return message;
}

function storeBotMessage(
  record: ChatRecord,
  wire: Message,
  params: Record<string, unknown>,
  formatted: FormattedText,
  now: number,
  extra: Pick<FakeMessage, 'threadId' | 'replyTo' | 'linkPreviewOptions' | 'document'>,
): void {
  const text =
    typeof params.text === 'string' ? params.text : typeof params.caption === 'string' ? params.caption : '';
  const markup = wire.reply_markup;
  const fake: FakeMessage = {
    messageId: wire.message_id,
    chatId: record.chat.id,
    text,
    plainText: formatted.plain,
    history: [{ text, replyMarkup: markup, at: now }],
    deleted: false,
  };
  if (extra.threadId !== undefined) fake.threadId = extra.threadId;
  const parseMode = parseModeOf(params);
  if (parseMode !== undefined) fake.parseMode = parseMode;
  if (markup !== undefined) fake.replyMarkup = markup;
  if (extra.replyTo !== undefined) fake.replyTo = extra.replyTo;
  if (params.disable_notification === true) fake.disableNotification = true;
  if (extra.linkPreviewOptions !== undefined) fake.linkPreviewOptions = extra.linkPreviewOptions;
  if (extra.document !== undefined) fake.document = extra.document;
  record.messages.set(wire.message_id, { wire, fake, deleted: false });
}

function parseModeOf(params: Record<string, unknown>): string | undefined {
  return typeof params.parse_mode === 'string' && params.parse_mode !== '' ? params.parse_mode : undefined;
}

function unixTime(ms: number): number {
  return Math.floor(ms / 1000);
}

/** Structural equality that ignores key order, for "message is not modified". */
function sameContent(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y)))
      : v,
  );
}
