import type { BotCommand, Chat, Message, User } from 'grammy/types';
import type { FakeChat, FakeMessage, FakeUser } from './types.js';

/** A message the server knows about, whoever sent it. */
export interface StoredMessage {
  /** The current version, exactly as it is returned to the bot and embedded in updates. */
  wire: Message;
  /** Present for messages the bot sent; those are the only ones it may edit. */
  fake?: FakeMessage;
  deleted: boolean;
}

export interface ChatRecord {
  chat: Chat;
  blocked: boolean;
  migratedTo?: number;
  /** Message ids are per chat and shared by everyone who posts in it. */
  lastMessageId: number;
  messages: Map<number, StoredMessage>;
}

export function toUser(user: FakeUser): User {
  return {
    id: user.id,
    is_bot: user.isBot ?? false,
    first_name: user.firstName,
    ...(user.username === undefined ? {} : { username: user.username }),
  };
}

export function isGroupChat(chat: Chat): boolean {
  return chat.type === 'group' || chat.type === 'supergroup';
}

export class ChatStore {
  private readonly chats = new Map<number, ChatRecord>();

  /** Creates or refreshes a chat from an injected update; a private chat takes its name from the sender. */
  register(fake: FakeChat, from?: FakeUser): ChatRecord {
    const existing = this.chats.get(fake.id);
    const chat = toChat(fake, from, existing?.chat);
    if (existing !== undefined) {
      existing.chat = chat;
      return existing;
    }
    return this.add(chat);
  }

  /**
   * Looks a chat up, creating it from the id's shape if the bot writes to a chat no update mentioned (for
   * example an admin chat id from configuration): positive ids are users, -100… ids are supergroups.
   */
  getOrInfer(chatId: number): ChatRecord {
    const existing = this.chats.get(chatId);
    if (existing !== undefined) return existing;
    if (chatId > 0) return this.add({ id: chatId, type: 'private', first_name: 'User' });
    if (chatId <= -1_000_000_000_000)
      return this.add({ id: chatId, type: 'supergroup', title: 'Supergroup' });
    return this.add({ id: chatId, type: 'group', title: 'Group' });
  }

  findByUsername(username: string): ChatRecord | undefined {
    const wanted = username.replace(/^@/, '').toLowerCase();
    return [...this.chats.values()].find(
      (r) => 'username' in r.chat && r.chat.username?.toLowerCase() === wanted,
    );
  }

  nextMessageId(record: ChatRecord): number {
    record.lastMessageId += 1;
    return record.lastMessageId;
  }

  botMessages(chatId: number): FakeMessage[] {
    const record = this.chats.get(chatId);
    if (record === undefined) return [];
    return [...record.messages.values()].flatMap((m) => (m.fake === undefined ? [] : [m.fake]));
  }

  private add(chat: Chat): ChatRecord {
    const record: ChatRecord = { chat, blocked: false, lastMessageId: 0, messages: new Map() };
    this.chats.set(chat.id, record);
    return record;
  }
}

function toChat(fake: FakeChat, from: FakeUser | undefined, previous: Chat | undefined): Chat {
  switch (fake.type) {
    case 'private': {
      // In a private chat the chat is the user, so the sender's name is the chat's name.
      const firstName = from?.firstName ?? previous?.first_name ?? fake.title ?? 'User';
      const username = from?.username ?? previous?.username;
      return {
        id: fake.id,
        type: 'private',
        first_name: firstName,
        ...(username === undefined ? {} : { username }),
      };
    }
    case 'group':
      return { id: fake.id, type: 'group', title: fake.title ?? previous?.title ?? 'Group' };
    case 'supergroup':
      return {
        id: fake.id,
        type: 'supergroup',
        title: fake.title ?? previous?.title ?? 'Supergroup',
        ...(fake.isForum === true ? { is_forum: true } : {}),
      };
    case 'channel':
      return { id: fake.id, type: 'channel', title: fake.title ?? previous?.title ?? 'Channel' };
  }
}

interface PendingQuery {
  createdAt: number;
  answered: boolean;
}

export type QueryState = 'ok' | 'unknown' | 'answered' | 'expired';

export class CallbackQueries {
  private readonly queries = new Map<string, PendingQuery>();

  constructor(private readonly answerWindowMs: number) {}

  add(id: string, now: number): void {
    this.queries.set(id, { createdAt: now, answered: false });
  }

  /** Marks the query answered if it still can be, and says why not otherwise. */
  answer(id: string, now: number): QueryState {
    const query = this.queries.get(id);
    if (query === undefined) return 'unknown';
    if (query.answered) return 'answered';
    if (now - query.createdAt > this.answerWindowMs) return 'expired';
    query.answered = true;
    return 'ok';
  }
}

/** setMyCommands lists, keyed by scope and language like the server keeps them. */
export class CommandStore {
  private readonly lists = new Map<string, BotCommand[]>();

  set(scope: unknown, language: unknown, commands: BotCommand[]): void {
    this.lists.set(scopeKey(scope, language), commands);
  }

  get(scope: unknown, language: unknown): BotCommand[] {
    return this.lists.get(scopeKey(scope, language)) ?? [];
  }

  delete(scope: unknown, language: unknown): void {
    this.lists.delete(scopeKey(scope, language));
  }
}

function scopeKey(scope: unknown, language: unknown): string {
  const s = (typeof scope === 'object' && scope !== null ? scope : {}) as Record<string, unknown>;
  const type = typeof s.type === 'string' ? s.type : 'default';
  const lang = typeof language === 'string' ? language : '';
  // A scope's chat_id may arrive as 5 or "5"; both name the same chat.
  const id = (v: unknown) => (typeof v === 'number' || typeof v === 'string' ? String(v) : '');
  return JSON.stringify([type, id(s.chat_id), id(s.user_id), lang]);
}
