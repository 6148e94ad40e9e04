import type { FakeReply } from '../http/index.js';

export type ErrorDetails = { fields: Array<{ name: string; messages?: string[] }> } | null;

/**
 * HTTP status per error code, from the docs' error table as copied in wire-protocols.md §3.2. Several are
 * unconfirmed (invalid_input 422 vs 400, uniqueness_error 409 vs 422), hence `errorStatuses` overrides.
 */
export const DEFAULT_ERROR_STATUSES: Readonly<Record<string, number>> = {
  json_error: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  uniqueness_error: 409,
  invalid_input: 422,
  locked: 423,
  rate_limit_exceeded: 429,
};

/** Thrown by handlers and rendered as the real `{"error":{code,message,details}}` envelope. */
export class HcloudError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: ErrorDetails = null,
  ) {
    super(message);
    this.name = 'HcloudError';
  }
}

export function errorBody(code: string, message: string, details: ErrorDetails): unknown {
  return { error: { code, message, details } };
}

export function renderError(error: HcloudError, statuses: Readonly<Record<string, number>>): FakeReply {
  return { status: statuses[error.code] ?? 500, body: errorBody(error.code, error.message, error.details) };
}

export function invalidInput(field: string, message: string): HcloudError {
  return new HcloudError('invalid_input', `invalid input in field '${field}'`, {
    fields: [{ name: field, messages: [message] }],
  });
}

export function notFound(kind: string, id: string | number): HcloudError {
  return new HcloudError('not_found', `${kind} with ID '${id}' not found`);
}

export function uniquenessError(field: string, message: string): HcloudError {
  return new HcloudError('uniqueness_error', message, { fields: [{ name: field }] });
}
