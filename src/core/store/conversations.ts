import { z } from 'zod';
import type { Clock } from '../runtime/clock.js';
import type { ChatRef, MessageRef, Platform } from '../chat/types.js';
import type { Db } from './db.js';

/** A conversation with one agent in one chat; a reply to any of its answers continues it. */
export type Conversation = {
  id: number;
  agentId: number;
  chat: ChatRef;
  startedBy: string;
  /** The protocol's own session id, to continue on a new process. */
  sessionId: string | null;
  /** What was said so far, for protocols that continue by resending it (capped when saved). */
  history: HistoryEntry[];
  createdAt: number;
  updatedAt: number;
};

export type TurnStatus = 'queued' | 'running' | 'answered' | 'cancelled' | 'failed' | 'interrupted';

export type Turn = {
  id: number;
  conversationId: number;
  requester: string;
  promptChars: number;
  status: TurnStatus;
  messageId: string | null;
  detail: string | null;
  chat: ChatRef;
  agentId: number;
};

const historyEntry = z.object({ role: z.enum(['user', 'assistant']), content: z.string() });
export type HistoryEntry = z.infer<typeof historyEntry>;
const historySchema = z.array(historyEntry);

/** How much history is kept for resending: the newest entries up to this many characters. */
export const historyLimitChars = 200_000;

type ConversationRow = {
  id: number;
  agent_id: number;
  chat_platform: Platform;
  chat_id: string;
  thread_id: string | null;
  started_by: string;
  session_id: string | null;
  history: string;
  created_at: number;
  updated_at: number;
};

const chatOf = (r: { chat_platform: Platform; chat_id: string; thread_id?: string | null }): ChatRef => ({
  platform: r.chat_platform,
  chatId: r.chat_id,
  ...(r.thread_id ? { threadId: r.thread_id } : {}),
});

const toConversation = (r: ConversationRow): Conversation => {
  const history = historySchema.safeParse(JSON.parse(r.history));
  return {
    id: r.id,
    agentId: r.agent_id,
    chat: chatOf(r),
    startedBy: r.started_by,
    sessionId: r.session_id,
    history: history.success ? history.data : [],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
};

type TurnRow = {
  id: number;
  conversation_id: number;
  requester: string;
  prompt_chars: number;
  status: TurnStatus;
  message_id: string | null;
  detail: string | null;
  chat_platform: Platform;
  chat_id: string;
  thread_id: string | null;
  agent_id: number;
};

const toTurn = (r: TurnRow): Turn => ({
  id: r.id,
  conversationId: r.conversation_id,
  requester: r.requester,
  promptChars: r.prompt_chars,
  status: r.status,
  messageId: r.message_id,
  detail: r.detail,
  chat: chatOf(r),
  agentId: r.agent_id,
});

/** The newest entries that fit in the limit, so a long conversation keeps its recent context. */
function capHistory(history: HistoryEntry[]): HistoryEntry[] {
  let total = 0;
  let from = history.length;
  while (from > 0 && total + history[from - 1]!.content.length <= historyLimitChars) {
    from--;
    total += history[from]!.content.length;
  }
  return history.slice(from);
}

const turnSelect = `SELECT t.*, c.chat_platform, c.chat_id, c.thread_id, c.agent_id
  FROM turns t JOIN conversations c ON c.id = t.conversation_id`;

export function conversationsRepo(db: Db, clock: Clock) {
  const byId = (id: number): Conversation | undefined => {
    const row = db.prepare<[number], ConversationRow>('SELECT * FROM conversations WHERE id = ?').get(id);
    return row && toConversation(row);
  };
  return {
    byId,
    create(p: { agentId: number; chat: ChatRef; startedBy: string }): Conversation {
      const now = clock.now();
      const id = db
        .prepare(
          'INSERT INTO conversations (agent_id, chat_platform, chat_id, thread_id, started_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          p.agentId,
          p.chat.platform,
          p.chat.chatId,
          p.chat.threadId ?? null,
          p.startedBy,
          now,
          now,
        ).lastInsertRowid;
      return byId(Number(id))!;
    },
    /** The conversation a message of fleetbot's answered, if any. */
    answeredBy(ref: MessageRef): Conversation | undefined {
      const row = db
        .prepare<[string, string, string], ConversationRow>(
          `SELECT c.* FROM conversation_messages m JOIN conversations c ON c.id = m.conversation_id
           WHERE m.chat_platform = ? AND m.chat_id = ? AND m.message_id = ?`,
        )
        .get(ref.chat.platform, ref.chat.chatId, ref.messageId);
      return row && toConversation(row);
    },
    /** The latest conversation with this agent in this chat, for /chat to carry on. */
    latest(agentId: number, chat: ChatRef): Conversation | undefined {
      const row = db
        .prepare<[number, string, string], ConversationRow>(
          'SELECT * FROM conversations WHERE agent_id = ? AND chat_platform = ? AND chat_id = ? ORDER BY updated_at DESC, id DESC LIMIT 1',
        )
        .get(agentId, chat.platform, chat.chatId);
      return row && toConversation(row);
    },
    rememberMessage(conversationId: number, ref: MessageRef): void {
      db.prepare(
        'INSERT OR IGNORE INTO conversation_messages (chat_platform, chat_id, message_id, conversation_id) VALUES (?, ?, ?, ?)',
      ).run(ref.chat.platform, ref.chat.chatId, ref.messageId, conversationId);
    },
    saveSession(id: number, sessionId: string): void {
      db.prepare('UPDATE conversations SET session_id = ?, updated_at = ? WHERE id = ?').run(
        sessionId,
        clock.now(),
        id,
      );
    },
    appendHistory(id: number, entries: HistoryEntry[]): void {
      const conversation = byId(id);
      if (!conversation) return;
      db.prepare('UPDATE conversations SET history = ?, updated_at = ? WHERE id = ?').run(
        JSON.stringify(capHistory([...conversation.history, ...entries])),
        clock.now(),
        id,
      );
    },

    addTurn(p: { conversationId: number; requester: string; promptChars: number }): Turn {
      const id = db
        .prepare(
          "INSERT INTO turns (conversation_id, requester, prompt_chars, status, created_at) VALUES (?, ?, ?, 'queued', ?)",
        )
        .run(p.conversationId, p.requester, p.promptChars, clock.now()).lastInsertRowid;
      return toTurn(db.prepare<[number], TurnRow>(`${turnSelect} WHERE t.id = ?`).get(Number(id))!);
    },
    startTurn(id: number, messageId: string | null): void {
      db.prepare("UPDATE turns SET status = 'running', message_id = ? WHERE id = ?").run(messageId, id);
    },
    attachTurnMessage(id: number, messageId: string): void {
      db.prepare('UPDATE turns SET message_id = ? WHERE id = ?').run(messageId, id);
    },
    endTurn(id: number, status: Exclude<TurnStatus, 'queued' | 'running'>, detail?: string): void {
      db.prepare('UPDATE turns SET status = ?, detail = ?, finished_at = ? WHERE id = ?').run(
        status,
        detail ?? null,
        clock.now(),
        id,
      );
    },
    /** Turns that were queued or running when fleetbot last stopped. */
    openTurns(): Turn[] {
      return db
        .prepare<[], TurnRow>(`${turnSelect} WHERE t.status IN ('queued','running') ORDER BY t.id`)
        .all()
        .map(toTurn);
    },

    chatMode(chat: ChatRef): number | undefined {
      return db
        .prepare<[string, string], { agent_id: number }>(
          'SELECT agent_id FROM chat_modes WHERE chat_platform = ? AND chat_id = ?',
        )
        .get(chat.platform, chat.chatId)?.agent_id;
    },
    setChatMode(chat: ChatRef, agentId: number | undefined): void {
      if (agentId === undefined) {
        db.prepare('DELETE FROM chat_modes WHERE chat_platform = ? AND chat_id = ?').run(
          chat.platform,
          chat.chatId,
        );
        return;
      }
      db.prepare(
        'INSERT OR REPLACE INTO chat_modes (chat_platform, chat_id, agent_id, since) VALUES (?, ?, ?, ?)',
      ).run(chat.platform, chat.chatId, agentId, clock.now());
    },
    verbose(chat: ChatRef): boolean {
      return (
        db
          .prepare<[string, string], { verbose: number }>(
            'SELECT verbose FROM ask_settings WHERE chat_platform = ? AND chat_id = ?',
          )
          .get(chat.platform, chat.chatId)?.verbose === 1
      );
    },
    setVerbose(chat: ChatRef, on: boolean): void {
      db.prepare(
        'INSERT OR REPLACE INTO ask_settings (chat_platform, chat_id, verbose) VALUES (?, ?, ?)',
      ).run(chat.platform, chat.chatId, on ? 1 : 0);
    },
  };
}

export type ConversationsRepo = ReturnType<typeof conversationsRepo>;
