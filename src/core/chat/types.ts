// Platform-neutral contracts shared by bridges, the router, commands and core services.
import type { ApiCall, CallResult } from '../api/call.js';

/**
 * Every platform a bridge serves; a new bridge adds its name here and a row in src/bridges/index.ts.
 * `api` is programs with a key (the HTTP API, MCP): its principals are `api:<key name>`.
 */
export const platforms = ['telegram', 'slack', 'console', 'api'] as const;
export type Platform = (typeof platforms)[number];

/** `platform:id`, as config and /allow name people and chats. */
export const platformIdPattern = (id: string): RegExp => new RegExp(`^(${platforms.join('|')}):(${id})$`);

/** chatId is the platform's own id (a Slack channel id, a Telegram chat id); core treats it as opaque. */
export type ChatRef = { platform: Platform; chatId: string; threadId?: string };
export type UserRef = { platform: Platform; userId: string; name?: string };
export type MessageRef = { chat: ChatRef; messageId: string };

/**
 * `direct` is true for a one-to-one chat with the bot (a DM, the console), false for groups and channels.
 * A `message` is plain text (no command): a reply to one of fleetbot's messages (`replyTo`; in Slack a
 * message in a thread fleetbot answered in), or any text in a chat where `/chat` is on. Nobody is
 * answered for a plain message the router does not take, so chatter in a group costs nothing.
 */
export type Inbound =
  | {
      kind: 'message';
      chat: ChatRef;
      user: UserRef;
      direct: boolean;
      text: string;
      message: MessageRef;
      replyTo?: MessageRef;
      at: Date;
    }
  | { kind: 'command'; chat: ChatRef; user: UserRef; direct: boolean; text: string; at: Date }
  | {
      kind: 'action';
      chat: ChatRef;
      user: UserRef;
      direct: boolean;
      message: MessageRef;
      actionId: string;
      at: Date;
    };

export type Span = { text: string; style?: 'bold' | 'code' | 'italic'; href?: string };
export type Button = { id: string; label: string; style?: 'primary' | 'danger' };
export type Outbound = { lines: Span[][]; buttons?: Button[][] };

/**
 * `onlyFor`: the message concerns only this person (a refusal, an error about their command). A bridge
 * that can show a message to one member of a group does so (Slack's ephemeral messages); others post it
 * to the chat as usual. Such a message may not be editable, so callers never edit it afterwards.
 */
export type SendOptions = {
  onlyFor?: UserRef;
  /** Shown as a reply to this message (Telegram's reply, a Slack thread). */
  replyTo?: MessageRef;
  /** No notification: for messages that are not yet the final answer. */
  silent?: boolean;
};

/**
 * An answer the platform streams natively into one message while an agent writes it (Telegram's
 * drafts in private chats, Slack's chat.startStream). The bridge paces the platform calls itself and
 * may skip intermediate states; the final message always holds the whole text.
 */
export type AnswerStream = {
  /** The whole text so far, as it should show now (not a delta). */
  update(text: string): void;
  /**
   * Ends the stream with the final message; the ref is the message people keep and reply to. `silent`
   * when more of the answer follows in other messages (only the last one notifies).
   */
  finish(message: Outbound, opts?: { silent?: boolean }): Promise<MessageRef>;
  /** Ends the stream without a final message (the caller posts one its own way). */
  abandon(): Promise<void>;
};

export type StreamOptions = { direct: boolean; replyTo?: MessageRef; recipient: UserRef };

/** What the router tells a bridge about an action press, so it can answer the platform (toast, ack). */
export type ActionAnswer = { text?: string; alert?: boolean };

export type InboundHandler = (inbound: Inbound) => Promise<ActionAnswer | void>;

/**
 * What a bridge may tell core about its platform. Bridges never touch the store; core owns what these
 * facts mean (a cursor to resume from, an allowlist entry to move, a chat to stop writing to).
 */
export interface BridgeHost {
  loadCursor(key: string): string | undefined;
  saveCursor(key: string, value: string): void;
  chatMigrated(from: ChatRef, to: ChatRef): void;
  chatUnreachable(chat: ChatRef, reason: string): void;
  /** Calls a command for a program with a key (the HTTP API, MCP): the router's `call`. */
  call(request: ApiCall): Promise<CallResult>;
  /**
   * Whether a presented key is live, for a transport that must turn a stranger away before anything
   * else (MCP over HTTP answers 401 to its `initialize`). No command runs; `call` checks it again.
   */
  checkKey(key: string): boolean;
  /** The user ids of this platform's admins, for a platform that shows admins a menu of their own. */
  admins(platform: Platform): string[];
}

export interface Bridge {
  readonly platform: Platform;
  readonly limits: { maxTextLength: number; minEditIntervalMs: number };
  /** The bot's own username on the platform, once known, so `/cmd@otherbot` is left alone. */
  readonly username?: string | undefined;
  start(deliver: InboundHandler, host: BridgeHost): Promise<void>;
  /** Whether the bridge is connected to its platform now, for /healthz; absent means always. */
  health?(): { ok: boolean; detail: string };
  send(chat: ChatRef, message: Outbound, opts?: SendOptions): Promise<MessageRef>;
  edit(ref: MessageRef, message: Outbound): Promise<void>;
  /**
   * Starts a native answer stream where the platform has one for this chat; undefined (or absent)
   * means core sends one message and edits it through the pacer.
   */
  startStream?(chat: ChatRef, opts: StreamOptions): AnswerStream | undefined;
  /** Sends a file (a long answer as answer.md, a diff) with a short caption. */
  sendDocument?(
    chat: ChatRef,
    doc: { name: string; content: string; caption?: Outbound },
    opts?: SendOptions,
  ): Promise<MessageRef>;
  stop(): Promise<void>;
}

/** A bridge throws this from edit() when the message can no longer be edited (deleted, too old). */
export class MessageGoneError extends Error {
  override readonly name = 'MessageGoneError';
}

/** A bridge throws this when the chat cannot be reached at all (bot blocked or removed). */
export class ChatUnreachableError extends Error {
  override readonly name = 'ChatUnreachableError';
}

export const principalKey = (ref: { platform: Platform; userId: string }): string =>
  `${ref.platform}:${ref.userId}`;
export const chatKey = (ref: ChatRef): string => `${ref.platform}:${ref.chatId}`;
