import { CfError } from './envelope.js';

/**
 * Which refusal an unknown token gets depends on the endpoint: token verification says the token itself is
 * invalid (401 1000), everything else says the caller may not do this (403 10000).
 */
export type AuthScope = 'verify' | 'api';

const BEARER = /^Bearer ([A-Za-z0-9_-]+)$/;

/** Cloudflare's answers to a missing, malformed or unknown token (wire-protocols.md §4.4 and §4.6). */
export function authenticate(header: string | undefined, token: string, scope: AuthScope): void {
  if (header === undefined) {
    throw new CfError(400, [
      { code: 9106, message: 'Missing X-Auth-Key, X-Auth-Email or Authorization headers' },
    ]);
  }
  const presented = BEARER.exec(header)?.[1];
  if (presented === undefined) {
    throw new CfError(400, [
      {
        code: 6003,
        message: 'Invalid request headers',
        error_chain: [{ code: 6111, message: 'Invalid format for Authorization header' }],
      },
    ]);
  }
  if (presented === token) return;
  throw scope === 'verify'
    ? new CfError(401, [{ code: 1000, message: 'Invalid API Token' }])
    : new CfError(403, [{ code: 10000, message: 'Authentication error' }]);
}
