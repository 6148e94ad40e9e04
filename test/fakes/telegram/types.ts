import type { BotCommand, InlineKeyboardMarkup, LinkPreviewOptions } from 'grammy/types';
import type { Violation } from './errors.js';

export type { Violation };

export interface FakeTelegramOptions {
  /** Bot token; its numeric prefix becomes the bot's user id. */
  token?: string;
  botUsername?: string;
  /** Sustained messages+edits per second per chat (default 1). See flood.ts for the full rule. */
  perChatPerSecond?: number;
  /** Messages+edits a chat may receive back to back before `perChatPerSecond` applies (default 3). */
  perChatBurst?: number;
  /** Messages+edits per sliding minute in a group or supergroup (default 20). */
  groupPerMinute?: number;
  /** Upper bound for holding a getUpdates long poll, whatever `timeout` asks for (default 50 s, like the server). */
  longPollCapMs?: number;
  /** How long a callback query can still be answered (default 15 s). */
  callbackAnswerWindowMs?: number;
  /** Draft updates (sendMessageDraft) per second per chat before a 429 (default 5). */
  draftsPerSecond?: number;
}

export interface FakeChat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  title?: string;
  isForum?: boolean;
}

export interface FakeUser {
  id: number;
  firstName: string;
  username?: string;
  isBot?: boolean;
}

export interface FakeMessageVersion {
  /** Text as the bot sent it (markup included when parseMode is set); the caption for documents. */
  text: string;
  replyMarkup?: InlineKeyboardMarkup;
  at: number;
}

/** A message the bot sent, as the fake stores it. */
export interface FakeMessage {
  messageId: number;
  chatId: number;
  threadId?: number;
  /** Text as the bot sent it (markup included when parseMode is set); the caption for documents. */
  text: string;
  /** What a person sees: tags stripped and entities decoded. */
  plainText: string;
  parseMode?: string;
  replyMarkup?: InlineKeyboardMarkup;
  replyTo?: number;
  disableNotification?: boolean;
  linkPreviewOptions?: LinkPreviewOptions;
  /** An uploaded document: its name, size and text (what a person downloading it reads). */
  document?: { fileName: string; size: number; content?: string };
  /** Every version in order, the original send first and the current one last. */
  history: FakeMessageVersion[];
  deleted: boolean;
}

/** One state of a draft (sendMessageDraft) as the person saw it in their private chat. */
export interface FakeDraftVersion {
  chatId: number;
  draftId: number;
  /** What a person sees: tags stripped and entities decoded; empty shows "Thinking…". */
  plainText: string;
  at: number;
}

export interface CallbackAnswer {
  callbackQueryId: string;
  text?: string;
  showAlert?: boolean;
  at: number;
}

export interface CallRecord {
  /** Canonical method name (`sendMessage` even if the bot wrote `SENDMESSAGE`), or the raw name if unknown. */
  method: string;
  params: Record<string, unknown>;
  /** HTTP status sent; 0 when no response went out (client hung up, or a dropConnection failure). */
  status: number;
  /** When the request arrived (ms since epoch); entries are appended when the response is sent. */
  at: number;
}

export interface ChatStats {
  tooManyRequests: number;
  sends: number;
  edits: number;
}

export interface FakeStats {
  tooManyRequests: number;
  byChat: Map<number, ChatStats>;
}

export type FailureReply =
  | { status: number; description: string; retryAfter?: number; times?: number }
  | { dropConnection: true; times?: number }
  | { delayMs: number; times?: number };

export interface SendTextInput {
  chat: FakeChat;
  from: FakeUser;
  text: string;
  threadId?: number;
  isTopicMessage?: boolean;
  replyTo?: number;
}

export interface PressButtonInput {
  chat: FakeChat;
  from: FakeUser;
  messageId: number;
  data: string;
  /** Send data no button ever carried, as a modified client could: tests forged presses. */
  forged?: boolean;
}

export interface FakeTelegram {
  /** Pass as `new Bot(token, { client: { apiRoot } })`; has no trailing slash. */
  apiRoot: string;
  token: string;
  botId: number;
  botUsername: string;

  /** Injects an incoming text message (with bot_command entities) and returns its update_id. */
  sendText(p: SendTextInput): number;
  /** Injects a callback query for a button on a message the bot sent. */
  pressButton(p: PressButtonInput): { updateId: number; callbackQueryId: string };
  /** Upgrades a group: emits the service messages; later calls to the old id get 400 with migrate_to_chat_id. */
  migrateChat(oldChatId: number, newChatId: number): void;
  /** The user blocks the bot (private) or kicks it (groups): later calls to the chat get 403. */
  blockChat(chatId: number): void;
  /** True while a getUpdates long poll is being held, i.e. the bot is waiting for updates. */
  isPolling(): boolean;
  /** Makes the next `times` (default 1) calls of `method` fail, hang up, or be delayed. */
  failNext(method: string, reply: FailureReply): void;

  /** Bot-sent messages of a chat in send order, deleted ones included. */
  messages(chatId: number): FakeMessage[];
  /** Every draft state the bot showed in a chat, oldest first. */
  drafts(chatId: number): FakeDraftVersion[];
  /** The draft a person sees now; it vanishes when the bot sends a message to the chat. */
  currentDraft(chatId: number): FakeDraftVersion | undefined;
  /** Plain text of the newest message the bot sent to the chat that is not deleted. */
  lastText(chatId: number): string | undefined;
  callbackAnswers: CallbackAnswer[];
  /** Commands set for the scope (default scope when omitted) and the default language. */
  commands(scope?: unknown): BotCommand[];
  calls: CallRecord[];
  stats: FakeStats;
  violations: Violation[];
  assertNoViolations(): void;
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}
