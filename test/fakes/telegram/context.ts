import type { UserFromGetMe } from 'grammy/types';
import type { FloodControl } from './flood.js';
import type { CallbackQueries, ChatStore, CommandStore } from './state.js';
import type { CallbackAnswer, ChatStats, FakeDraftVersion, FakeStats } from './types.js';
import type { UpdateQueue } from './updates.js';

/** One API call as a method handler sees it: parameters already checked against the spec and typed. */
export interface CallContext {
  params: Record<string, unknown>;
  /** Aborted when the client hangs up (grammY's bot.stop() does this to a pending getUpdates). */
  signal: AbortSignal;
  now: number;
}

/** Returns the `result` of the envelope, or throws ApiError. */
export type Handler = (ctx: CallContext) => unknown;

/** Everything the server remembers; shared by the method handlers and the test-control API. */
export interface FakeState {
  me: UserFromGetMe;
  chats: ChatStore;
  updates: UpdateQueue;
  flood: FloodControl;
  /** Drafts are limited on their own, not from the chat's message budget. */
  draftFlood: FloodControl;
  /** Every draft state shown, and the one showing now per chat. */
  drafts: FakeDraftVersion[];
  currentDrafts: Map<number, FakeDraftVersion>;
  callbackQueries: CallbackQueries;
  commands: CommandStore;
  callbackAnswers: CallbackAnswer[];
  stats: FakeStats;
  /** Documents uploaded so far, by file_id, so that a bot may resend one by id. */
  files: Map<string, { fileName: string; size: number; content?: string }>;
}

export function chatStats(stats: FakeStats, chatId: number): ChatStats {
  let entry = stats.byChat.get(chatId);
  if (entry === undefined) {
    entry = { tooManyRequests: 0, sends: 0, edits: 0 };
    stats.byChat.set(chatId, entry);
  }
  return entry;
}
