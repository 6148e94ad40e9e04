/** A request-shape mistake by the bot: something the real API rejects or silently ignores. */
export interface Violation {
  method: string;
  /** Dotted path of the offending parameter, e.g. `reply_markup.inline_keyboard[0][1].callback_data`. */
  field?: string;
  problem: string;
}

export interface ResponseParameters {
  retry_after?: number;
  migrate_to_chat_id?: number;
}

/**
 * Thrown by method handlers to produce an `ok:false` envelope. When the error is the bot's fault (bad
 * parameters rather than a runtime condition such as flood control), `violation` says what to record.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly description: string,
    readonly extra: { parameters?: ResponseParameters; violation?: Omit<Violation, 'method'> } = {},
  ) {
    super(description);
    this.name = 'ApiError';
  }
}

/** Shorthand for a 400 caused by a malformed request, which is always also a violation. */
export function badRequest(field: string | undefined, problem: string, detail: string): ApiError {
  return new ApiError(400, `Bad Request: ${detail}`, { violation: { field, problem } });
}

export const NOT_MODIFIED =
  'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';

export const QUERY_TOO_OLD =
  'Bad Request: query is too old and response timeout expired or query ID is invalid';

export const CONFLICT_OTHER_POLL =
  'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';

export const CONFLICT_WEBHOOK_ACTIVE =
  "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";

export const CONFLICT_SET_WEBHOOK = 'Conflict: terminated by setWebhook request';
