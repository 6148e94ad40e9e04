import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { dnsNameSchema } from '../fleet/agentName.js';
import { UserError } from '../runtime/errors.js';
import type { ApiKey, HashedApiKey } from '../store/apiKeys.js';
import type { Store } from '../store/index.js';
import { levelOfScopes, type ApiScope } from './apiScopes.js';
import type { Level } from './levels.js';

/** Marks a fleetbot key, so that secret scanners and people reading a config file can tell what it is. */
export const apiKeyPrefix = 'fbk_';

/** 32 random bytes, base64url: 43 characters after the prefix. */
const presentedKeySchema = z.string().regex(/^fbk_[A-Za-z0-9_-]{43}$/);

/** A key's name follows the agent name rules: it is read beside them, as the principal api:<name>. */
export const apiKeyNameSchema = dnsNameSchema('key name');

/** The principal a key acts as, in audit rows and job requesters. */
export const apiPrincipal = (name: string): string => `api:${name}`;

/** Whether a principal is a program (a key) rather than a person. */
export const isProgram = (principal: string): boolean => principal.startsWith('api:');

/**
 * SHA-256 is enough here, with neither salt nor a slow hash: a key carries 256 random bits, so there
 * is nothing to guess from a stolen hash, and every API request must check one cheaply.
 */
const hashOf = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/**
 * Makes a key and stores its hash only. The key is returned once, for the person who asked for it;
 * nothing keeps it. Refused while a key that is not revoked has the name.
 */
export function createApiKey(
  store: Pick<Store, 'apiKeys'>,
  request: { name: string; scopes: readonly ApiScope[]; createdBy: string; expiresAt: number | null },
): { key: string; record: ApiKey } {
  const key = `${apiKeyPrefix}${randomBytes(32).toString('base64url')}`;
  const record = store.apiKeys.add({
    ...request,
    scopes: [...new Set(request.scopes)],
    hash: hashOf(key).toString('hex'),
  });
  if (!record) {
    throw new UserError(
      `There is already a key named ${request.name}. Pick another name, or revoke it first with /keys revoke ${request.name}.`,
    );
  }
  return { key, record };
}

export type ApiAuthentication =
  | { ok: true; principal: string; name: string; scopes: ApiScope[]; level: Level }
  | { ok: false; reason: 'unknown'; message: string }
  /** A key that was ours: its name, for the audit row of the refusal. */
  | { ok: false; reason: 'revoked' | 'expired'; name: string; message: string };

/**
 * Who a presented key acts for: the principal api:<name> with its scopes and the level they give,
 * and the key's last use recorded. Unknown, revoked and expired keys are refused with a message the
 * caller can act on. Every stored hash is compared in constant time, the whole list every time (keys
 * are few: admins make them by hand), so how long a refusal takes says nothing about the key.
 */
export function authenticateApiKey(
  store: Pick<Store, 'apiKeys'>,
  now: () => number,
  presented: unknown,
): ApiAuthentication {
  const unknown = {
    ok: false,
    reason: 'unknown',
    message: `That is not a valid fleetbot API key (they start with ${apiKeyPrefix}). Ask an admin for one: /keys create, in a private chat with the bot.`,
  } as const;
  const parsed = presentedKeySchema.safeParse(presented);
  if (!parsed.success) return unknown;
  const hash = hashOf(parsed.data);
  let found: HashedApiKey | undefined;
  for (const stored of store.apiKeys.hashed()) {
    if (timingSafeEqual(Buffer.from(stored.hash, 'hex'), hash)) found = stored;
  }
  if (!found) return unknown;
  if (found.revokedAt !== null) {
    return {
      ok: false,
      reason: 'revoked',
      name: found.name,
      message: `The API key ${found.name} was revoked on ${new Date(found.revokedAt).toISOString()}. Ask an admin for a new one.`,
    };
  }
  if (found.expiresAt !== null && found.expiresAt <= now()) {
    return {
      ok: false,
      reason: 'expired',
      name: found.name,
      message: `The API key ${found.name} expired on ${new Date(found.expiresAt).toISOString()}. Ask an admin for a new one.`,
    };
  }
  store.apiKeys.markUsed(found.id);
  return {
    ok: true,
    principal: apiPrincipal(found.name),
    name: found.name,
    scopes: found.scopes,
    level: levelOfScopes(found.scopes),
  };
}
