import { GrammyError, HttpError } from 'grammy';

/** What a failed Bot API call means for the caller. */
export type ApiFailure =
  | { kind: 'not-modified' }
  | { kind: 'message-gone' }
  | { kind: 'rate-limited'; retryAfterMs: number }
  | { kind: 'migrated'; toChatId: number }
  | { kind: 'unreachable'; description: string }
  | { kind: 'thread-not-found' }
  | { kind: 'conflict'; description: string }
  | { kind: 'unauthorized' }
  | { kind: 'network'; description: string }
  | { kind: 'other'; description: string };

export function classify(err: unknown): ApiFailure {
  if (err instanceof GrammyError) {
    const d = err.description;
    if (err.error_code === 429)
      return { kind: 'rate-limited', retryAfterMs: (err.parameters.retry_after ?? 3) * 1000 };
    if (err.parameters.migrate_to_chat_id !== undefined)
      return { kind: 'migrated', toChatId: err.parameters.migrate_to_chat_id };
    if (err.error_code === 403) return { kind: 'unreachable', description: d };
    if (err.error_code === 409) return { kind: 'conflict', description: d };
    if (err.error_code === 401) return { kind: 'unauthorized' };
    if (/message is not modified/.test(d)) return { kind: 'not-modified' };
    if (/message to edit not found|message can't be edited|MESSAGE_ID_INVALID/.test(d))
      return { kind: 'message-gone' };
    if (/message thread not found/.test(d)) return { kind: 'thread-not-found' };
    if (err.error_code >= 500) return { kind: 'network', description: d };
    return { kind: 'other', description: `${err.method}: ${d}` };
  }
  if (err instanceof HttpError) return { kind: 'network', description: err.message };
  return { kind: 'network', description: err instanceof Error ? err.message : String(err) };
}
