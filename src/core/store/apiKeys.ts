import { z } from 'zod';
import { apiScopeSchema, type ApiScope } from '../access/apiScopes.js';
import type { Clock } from '../runtime/clock.js';
import type { Db } from './db.js';

export type ApiKey = {
  id: number;
  name: string;
  scopes: ApiScope[];
  createdBy: string;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
};
/** A key's record with the hash a presented key is compared with; never the key itself. */
export type HashedApiKey = ApiKey & { hash: string };

type Row = {
  id: number;
  name: string;
  scopes: string;
  hash: string;
  created_by: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
};

const scopesColumn = z.array(apiScopeSchema).min(1);

const toKey = (r: Row): HashedApiKey => ({
  id: r.id,
  name: r.name,
  // Checked when read back: a scope a later version dropped must not grant anything.
  scopes: scopesColumn.parse(JSON.parse(r.scopes)),
  hash: r.hash,
  createdBy: r.created_by,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
});

const withoutHash = ({ hash: _hash, ...key }: HashedApiKey): ApiKey => key;

export function apiKeysRepo(db: Db, clock: Clock) {
  const live = (name: string): Row | undefined =>
    db.prepare<[string], Row>('SELECT * FROM api_keys WHERE name = ? AND revoked_at IS NULL').get(name);
  return {
    /** Adds a key unless one that is not revoked has the name; undefined then. */
    add(k: {
      name: string;
      scopes: readonly ApiScope[];
      hash: string;
      createdBy: string;
      expiresAt: number | null;
    }): ApiKey | undefined {
      if (live(k.name)) return undefined;
      const id = db
        .prepare(
          'INSERT INTO api_keys (name, scopes, hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(k.name, JSON.stringify(k.scopes), k.hash, k.createdBy, clock.now(), k.expiresAt).lastInsertRowid;
      return withoutHash(
        toKey(db.prepare<[number], Row>('SELECT * FROM api_keys WHERE id = ?').get(Number(id))!),
      );
    },
    /** Every key ever made, revoked ones too, so a presented key can be told apart from an unknown one. */
    hashed(): HashedApiKey[] {
      return db.prepare<[], Row>('SELECT * FROM api_keys').all().map(toKey);
    },
    /** Keys that may still be used first, then revoked ones; newest first within each. */
    list(): ApiKey[] {
      return db
        .prepare<[], Row>('SELECT * FROM api_keys ORDER BY revoked_at IS NOT NULL, created_at DESC, id DESC')
        .all()
        .map((r) => withoutHash(toKey(r)));
    },
    /** Revokes the key of that name that is not yet revoked; false if there is none. */
    revoke(name: string): boolean {
      return (
        db
          .prepare('UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL')
          .run(clock.now(), name).changes === 1
      );
    },
    markUsed(id: number): void {
      db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(clock.now(), id);
    },
  };
}
export type ApiKeysRepo = ReturnType<typeof apiKeysRepo>;
