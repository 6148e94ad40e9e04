/**
 * Flood control for outgoing messages and edits. Telegram publishes no exact numbers, only guidance ("about
 * one message per second per chat, short bursts are tolerated; 20 messages per minute in a group"), so the
 * fake uses this rule, every part configurable:
 *
 * - Per chat, a token bucket holding `perChatBurst` tokens that refills at `perChatPerSecond` tokens/s.
 *   Each message or edit takes one token, so a chat may burst `perChatBurst` calls back to back and then
 *   sustain `perChatPerSecond`.
 * - In groups and supergroups additionally at most `groupPerMinute` messages+edits in any sliding 60 s.
 * - A call that breaks either limit is refused with `retry_after` = whole seconds until it would have been
 *   allowed (at least 1), and the chat stays closed for that long: every further message or edit to it is
 *   refused too, with the remaining seconds, as the real server does.
 *
 * Refused calls do not consume tokens.
 */
export interface FloodRules {
  perChatPerSecond: number;
  perChatBurst: number;
  groupPerMinute: number;
}

interface ChatBudget {
  tokens: number;
  refilledAt: number;
  recent: number[];
  closedUntil: number;
}

const MINUTE_MS = 60_000;

export class FloodControl {
  private readonly chats = new Map<number, ChatBudget>();

  constructor(private readonly rules: FloodRules) {}

  /** Records one message/edit to the chat; returns 0 if it may go out, else the retry_after in seconds. */
  take(chatId: number, isGroup: boolean, now: number): number {
    const budget = this.budget(chatId, now);
    if (budget.closedUntil > now) return Math.ceil((budget.closedUntil - now) / 1000);

    budget.tokens = Math.min(
      this.rules.perChatBurst,
      budget.tokens + ((now - budget.refilledAt) / 1000) * this.rules.perChatPerSecond,
    );
    budget.refilledAt = now;
    budget.recent = budget.recent.filter((t) => t > now - MINUTE_MS);

    let waitMs = budget.tokens >= 1 ? 0 : ((1 - budget.tokens) / this.rules.perChatPerSecond) * 1000;
    const oldest = budget.recent[0];
    if (isGroup && budget.recent.length >= this.rules.groupPerMinute && oldest !== undefined) {
      waitMs = Math.max(waitMs, oldest + MINUTE_MS - now);
    }
    if (waitMs > 0) {
      const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
      budget.closedUntil = now + retryAfter * 1000;
      return retryAfter;
    }
    budget.tokens -= 1;
    budget.recent.push(now);
    return 0;
  }

  private budget(chatId: number, now: number): ChatBudget {
    let budget = this.chats.get(chatId);
    if (budget === undefined) {
      budget = { tokens: this.rules.perChatBurst, refilledAt: now, recent: [], closedUntil: 0 };
      this.chats.set(chatId, budget);
    }
    return budget;
  }
}
