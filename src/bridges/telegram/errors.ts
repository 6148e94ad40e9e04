import { GrammyError, HttpError } from 'grammy';
import type { PlatformFailure } from '../shared/delivery.js';

/** Which failure class a failed Bot API call is, read from its error code and description. */
export function classify(err: unknown): PlatformFailure {
  if (err instanceof GrammyError) {
    const d = err.description;
    if (err.error_code === 429)
      return { kind: 'rate-limited', retryAfterMs: (err.parameters.retry_after ?? 3) * 1000 };
    if (err.parameters.migrate_to_chat_id !== undefined)
      return { kind: 'migrated', toChatId: String(err.parameters.migrate_to_chat_id) };
    if (err.error_code === 403) return { kind: 'unreachable', reason: d };
    if (err.error_code === 409) return { kind: 'conflict', reason: d };
    if (err.error_code === 401) return { kind: 'bad-token', reason: d };
    if (/message is not modified/.test(d)) return { kind: 'not-modified' };
    if (/message to edit not found|message can't be edited|MESSAGE_ID_INVALID/.test(d))
      return { kind: 'message-gone', reason: d };
    if (/message thread not found/.test(d)) return { kind: 'thread-gone' };
    if (err.error_code >= 500) return { kind: 'network', reason: d };
    return { kind: 'other', reason: d };
  }
  if (err instanceof HttpError) return { kind: 'network', reason: err.message };
  return { kind: 'network', reason: err instanceof Error ? err.message : String(err) };
}
