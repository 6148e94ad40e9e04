import { randomBytes } from 'node:crypto';
import type { Clock } from '../runtime/clock.js';
import type { ChatRef, MessageRef, Platform } from '../chat/types.js';
import type { Db } from './db.js';

/**
 * Who may take the approving choice: `self` lets the requester confirm (admins may too), `two-person`
 * needs an admin other than the requester. Anyone who may approve, and the requester, may decline.
 */
export type ApprovalPolicy = 'self' | 'two-person';

/** A card awaiting one decision; each of its buttons carries an opaque random id, never its meaning. */
export type Prompt = {
  policy: ApprovalPolicy;
  /** The choice that carries out the request; every other choice declines it. */
  approveChoice: string | null;
  id: string;
  kind: string;
  payload: unknown;
  /** The chat it was asked from, and the card's message there once posted. */
  chat: ChatRef;
  messageId: string | null;
  /**
   * Every message that shows the card with its buttons: the one in the chat it was asked from, or,
   * for what a program asked, one in each chat it was shown to. A press on any of them decides.
   */
  shownOn: MessageRef[];
  requestedBy: string;
  createdAt: number;
  expiresAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  decision: string | null;
};

type Row = {
  policy: ApprovalPolicy;
  approve_choice: string | null;
  id: string;
  kind: string;
  payload: string;
  chat_platform: Platform;
  chat_id: string;
  message_id: string | null;
  requested_by: string;
  created_at: number;
  expires_at: number;
  decided_at: number | null;
  decided_by: string | null;
  decision: string | null;
};

const toPrompt = (r: Row, elsewhere: MessageRef[]): Prompt => ({
  policy: r.policy,
  approveChoice: r.approve_choice,
  id: r.id,
  kind: r.kind,
  payload: JSON.parse(r.payload) as unknown,
  chat: { platform: r.chat_platform, chatId: r.chat_id },
  messageId: r.message_id,
  shownOn: [
    ...(r.message_id === null
      ? []
      : [{ chat: { platform: r.chat_platform, chatId: r.chat_id }, messageId: r.message_id }]),
    ...elsewhere,
  ],
  requestedBy: r.requested_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  decidedAt: r.decided_at,
  decidedBy: r.decided_by,
  decision: r.decision,
});

/** 12 url-safe characters: short enough for Telegram's 64-byte callback data, too many to guess. */
export const newOpaqueId = (): string => randomBytes(9).toString('base64url');

export function promptsRepo(db: Db, clock: Clock) {
  const byIdStmt = db.prepare<[string], Row>('SELECT * FROM prompts WHERE id = ?');
  const messagesStmt = db.prepare<[string], { chat_platform: Platform; chat_id: string; message_id: string }>(
    'SELECT chat_platform, chat_id, message_id FROM prompt_messages WHERE prompt_id = ? ORDER BY rowid',
  );
  const withMessages = (r: Row): Prompt =>
    toPrompt(
      r,
      messagesStmt
        .all(r.id)
        .map((m) => ({ chat: { platform: m.chat_platform, chatId: m.chat_id }, messageId: m.message_id })),
    );
  return {
    create(p: {
      kind: string;
      payload: unknown;
      chat: ChatRef;
      requestedBy: string;
      ttlMs: number;
      choices: string[];
      policy: ApprovalPolicy;
      approveChoice?: string;
    }): { prompt: Prompt; buttonIds: Record<string, string> } {
      const id = newOpaqueId();
      const now = clock.now();
      const buttonIds: Record<string, string> = {};
      db.transaction(() => {
        db.prepare(
          `INSERT INTO prompts (id, kind, payload, chat_platform, chat_id, requested_by, created_at, expires_at, policy, approve_choice)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          id,
          p.kind,
          JSON.stringify(p.payload),
          p.chat.platform,
          p.chat.chatId,
          p.requestedBy,
          now,
          now + p.ttlMs,
          p.policy,
          p.approveChoice ?? null,
        );
        const insert = db.prepare('INSERT INTO prompt_buttons (id, prompt_id, choice) VALUES (?, ?, ?)');
        for (const choice of p.choices) {
          buttonIds[choice] = newOpaqueId();
          insert.run(buttonIds[choice], id, choice);
        }
      })();
      return { prompt: withMessages(byIdStmt.get(id)!), buttonIds };
    },
    attachMessage(id: string, messageId: string): void {
      db.prepare('UPDATE prompts SET message_id = ? WHERE id = ?').run(messageId, id);
    },
    /** Records one more message showing the card, in a chat other than the one it was asked from. */
    showOn(id: string, ref: MessageRef): void {
      db.prepare(
        'INSERT INTO prompt_messages (prompt_id, chat_platform, chat_id, message_id) VALUES (?, ?, ?, ?)',
      ).run(id, ref.chat.platform, ref.chat.chatId, ref.messageId);
    },
    byId(id: string): Prompt | undefined {
      const row = byIdStmt.get(id);
      return row && withMessages(row);
    },
    /** The prompt and choice behind a pressed button id, if the id is one we issued. */
    resolveButton(buttonId: string): { prompt: Prompt; choice: string } | undefined {
      const row = db
        .prepare<[string], { prompt_id: string; choice: string }>(
          'SELECT prompt_id, choice FROM prompt_buttons WHERE id = ?',
        )
        .get(buttonId);
      const prompt = row && byIdStmt.get(row.prompt_id);
      return row && prompt ? { prompt: withMessages(prompt), choice: row.choice } : undefined;
    },
    /** The button ids of a prompt by choice, so a redrawn card keeps the same buttons. */
    buttonsOf(promptId: string): Record<string, string> {
      const rows = db
        .prepare<[string], { id: string; choice: string }>(
          'SELECT id, choice FROM prompt_buttons WHERE prompt_id = ?',
        )
        .all(promptId);
      return Object.fromEntries(rows.map((r) => [r.choice, r.id]));
    },
    /** Undecided prompts whose time is up, for the sweeper that marks their cards expired. */
    expiredOpen(now: number): Prompt[] {
      return db
        .prepare<[number], Row>('SELECT * FROM prompts WHERE decided_at IS NULL AND expires_at <= ?')
        .all(now)
        .map(withMessages);
    },
    /** Records the decision once; false when someone else decided first. */
    decide(id: string, decidedBy: string, decision: string): boolean {
      const info = db
        .prepare(
          'UPDATE prompts SET decided_at = ?, decided_by = ?, decision = ? WHERE id = ? AND decided_at IS NULL',
        )
        .run(clock.now(), decidedBy, decision, id);
      return info.changes === 1;
    },
  };
}
export type PromptsRepo = ReturnType<typeof promptsRepo>;
