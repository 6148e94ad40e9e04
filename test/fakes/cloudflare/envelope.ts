import type { FakeReply } from '../http/index.js';

export interface CfMessage {
  code: number;
  message: string;
  error_chain?: CfMessage[];
  /** Informational messages carry `type: null`. */
  type?: string | null;
}

/** Thrown by handlers; rendered as `{success:false, errors, messages:[], result:null}`. */
export class CfError extends Error {
  constructor(
    readonly status: number,
    readonly errors: CfMessage[],
    readonly headers: Record<string, string> = {},
  ) {
    super(errors.map((e) => `${e.code} ${e.message}`).join('; '));
    this.name = 'CfError';
  }
}

export interface ResultInfo {
  page: number;
  per_page: number;
  count: number;
  total_count: number;
  total_pages: number;
}

/** Success envelope; `success` and the HTTP status always agree, since some clients read only one. */
export function ok(
  result: unknown,
  extra: { result_info?: ResultInfo; messages?: CfMessage[] } = {},
): FakeReply {
  const { result_info, messages = [] } = extra;
  return {
    status: 200,
    body: { success: true, errors: [], messages, result, ...(result_info && { result_info }) },
  };
}

export function failure(error: CfError): FakeReply {
  return {
    status: error.status,
    body: { success: false, errors: error.errors, messages: [], result: null },
    headers: error.headers,
  };
}

/** 400 1004 with the specific complaint in `error_chain`, as DNS record validation answers. */
export function dnsValidationError(code: number, message: string): CfError {
  return new CfError(400, [
    { code: 1004, message: 'DNS Validation Error', error_chain: [{ code, message }] },
  ]);
}

export function invalidBody(): CfError {
  return new CfError(400, [{ code: 9207, message: 'Request body is invalid.' }]);
}

export function noRoute(): CfError {
  return new CfError(400, [{ code: 7000, message: 'No route for that URI' }]);
}

/** The classic answer to a wrong zone ID, or any malformed object ID in the path. */
export function couldNotRoute(path: string): CfError {
  return new CfError(400, [
    { code: 7003, message: `Could not route to ${path}, perhaps your object identifier is invalid?` },
    { code: 7000, message: 'No route for that URI' },
  ]);
}
