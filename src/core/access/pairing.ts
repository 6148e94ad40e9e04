import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../runtime/clock.js';
import type { Platform } from '../chat/types.js';
import type { Store } from '../store/index.js';

/** No 0/O, 1/I/L: a code read aloud or typed on a phone must not be ambiguous. */
const alphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const codeLength = 8;
const validForMs = 60 * 60_000;
const maxFailures = 5;
const lockoutMs = 60 * 60_000;

const normalise = (code: string): string => code.toUpperCase().replace(/[\s-]/g, '');
const hashOf = (salt: string, code: string): Buffer =>
  createHash('sha256').update(`${salt}:${code}`).digest();

/**
 * First-admin pairing: a one-time code, shown only in the bot's log or by `fleetbot pair` on the host,
 * proves that whoever sends it controls the host. Codes are stored hashed, compared in constant time,
 * expire after an hour, and five wrong tries lock pairing for an hour.
 */
export function createPairing(store: Store, clock: Clock) {
  const locked = (): { locked: boolean; untilMs: number } => {
    const { count, last } = store.pairing.failuresSince(clock.now() - lockoutMs);
    return count >= maxFailures && last !== null
      ? { locked: true, untilMs: last + lockoutMs }
      : { locked: false, untilMs: 0 };
  };

  return {
    /** Whether anyone besides the local console is admin; if not, a code should be offered at start. */
    hasRemoteAdmin: (): boolean => store.principals.admins().some((a) => a.platform !== 'console'),

    issue(): { code: string; expiresAt: number } {
      const code = Array.from({ length: codeLength }, () => alphabet[randomInt(alphabet.length)]).join('');
      const salt = randomBytes(16).toString('hex');
      const expiresAt = clock.now() + validForMs;
      store.pairing.add({ salt, hash: hashOf(salt, code).toString('hex'), expiresAt });
      return { code, expiresAt };
    },

    attempt(given: string, who: { platform: Platform; userId: string }): 'paired' | 'wrong' | 'locked' {
      if (locked().locked) return 'locked';
      const candidate = normalise(given);
      const match = store.pairing.open().find((c) => {
        const expected = Buffer.from(c.hash, 'hex');
        const actual = hashOf(c.salt, candidate);
        return expected.length === actual.length && timingSafeEqual(expected, actual);
      });
      const key = `${who.platform}:${who.userId}`;
      if (!match || !store.pairing.use(match.id, key)) {
        store.pairing.recordFailure(key);
        return locked().locked ? 'locked' : 'wrong';
      }
      store.transaction(() => {
        store.principals.upsert({
          platform: who.platform,
          userId: who.userId,
          level: 'admin',
          source: 'pairing',
          grantedBy: 'pairing code',
        });
        store.pairing.clearFailures();
      });
      return 'paired';
    },

    lockedUntil: (): number | undefined => (locked().locked ? locked().untilMs : undefined),
  };
}
export type Pairing = ReturnType<typeof createPairing>;
