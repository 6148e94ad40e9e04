import { describe, expect, it } from 'vitest';
import { authenticateApiKey, createApiKey } from '../src/core/access/apiKeys.js';
import { levelOfScopes } from '../src/core/access/apiScopes.js';
import { openStore } from '../src/core/store/index.js';
import { manualClock } from './support/manualClock.js';

const day = 86_400_000;

function setup() {
  const clock = manualClock();
  const store = openStore(':memory:', clock);
  const make = (name: string, expiresAt: number | null = null) =>
    createApiKey(store, {
      name,
      scopes: ['agents:read', 'agents:deploy'],
      createdBy: 'telegram:1001',
      expiresAt,
    });
  return {
    clock,
    store,
    make,
    authenticate: (key: unknown) => authenticateApiKey(store, () => clock.now(), key),
  };
}

describe('API keys', () => {
  it('makes a recognisable key of at least 32 characters and stores only its hash', () => {
    const { store, make } = setup();
    const { key, record } = make('deployer');
    expect(key).toMatch(/^fbk_[A-Za-z0-9_-]{43}$/);
    expect(make('other').key).not.toBe(key);
    const rows = JSON.stringify(store.db.prepare('SELECT * FROM api_keys').all());
    expect(rows).not.toContain(key);
    expect(rows).not.toContain(key.slice(4));
    expect(record).toEqual({
      id: 1,
      name: 'deployer',
      scopes: ['agents:read', 'agents:deploy'],
      createdBy: 'telegram:1001',
      createdAt: 1_700_000_000_000,
      lastUsedAt: null,
      expiresAt: null,
      revokedAt: null,
    });
  });

  it('acts as api:<name> with the level its scopes give, and records the use', async () => {
    const { clock, store, make, authenticate } = setup();
    const { key } = make('deployer');
    await clock.advance(5000);
    expect(authenticate(key)).toEqual({
      ok: true,
      principal: 'api:deployer',
      name: 'deployer',
      scopes: ['agents:read', 'agents:deploy'],
      level: 'operator',
    });
    expect(store.apiKeys.list()[0]!.lastUsedAt).toBe(1_700_000_005_000);
  });

  it('refuses unknown, malformed and wrong keys without recording a use', () => {
    const { store, make, authenticate } = setup();
    const { key } = make('deployer');
    const wrong = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    for (const presented of [wrong, 'fbk_short', '', undefined, 42, `Bearer ${key}`, `${key} `]) {
      expect(authenticate(presented)).toMatchObject({
        ok: false,
        reason: 'unknown',
        message: expect.stringMatching(/^That is not a valid fleetbot API key .*\/keys create/) as string,
      });
    }
    expect(store.apiKeys.list()[0]!.lastUsedAt).toBeNull();
  });

  it('refuses a revoked key at once, and frees its name for a new key', () => {
    const { store, make, authenticate } = setup();
    const { key } = make('deployer');
    expect(store.apiKeys.revoke('deployer')).toBe(true);
    expect(authenticate(key)).toEqual({
      ok: false,
      reason: 'revoked',
      name: 'deployer',
      message: 'The API key deployer was revoked on 2023-11-14T22:13:20.000Z. Ask an admin for a new one.',
    });
    expect(store.apiKeys.revoke('deployer')).toBe(false);
    const again = make('deployer');
    expect(authenticate(again.key)).toMatchObject({ ok: true, principal: 'api:deployer' });
    expect(authenticate(key)).toMatchObject({ ok: false, reason: 'revoked' });
  });

  it('refuses a key from the moment it expires, on the injected clock', async () => {
    const { clock, make, authenticate } = setup();
    const { key } = make('deployer', clock.now() + 90 * day);
    await clock.advance(90 * day - 1);
    expect(authenticate(key)).toMatchObject({ ok: true });
    await clock.advance(1);
    expect(authenticate(key)).toEqual({
      ok: false,
      reason: 'expired',
      name: 'deployer',
      message: 'The API key deployer expired on 2024-02-12T22:13:20.000Z. Ask an admin for a new one.',
    });
  });

  it('refuses a second key of a name in use, saying what to do', () => {
    const { make } = setup();
    make('deployer');
    expect(() => make('deployer')).toThrow(
      'There is already a key named deployer. Pick another name, or revoke it first with /keys revoke deployer.',
    );
  });

  it('gives the least level that covers the scopes', () => {
    expect(levelOfScopes(['agents:read'])).toBe('viewer');
    expect(levelOfScopes(['agents:read', 'agents:chat'])).toBe('operator');
    expect(levelOfScopes(['agents:destroy'])).toBe('operator');
    expect(levelOfScopes(['agents:read', 'admin'])).toBe('admin');
  });
});
