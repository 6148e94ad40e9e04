import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../runtime/clock.js';
import { principalKey, type Platform } from '../chat/types.js';
import type { Store } from '../store/index.js';

/** No 0/O, 1/I/L: a code read aloud or typed on a phone must not be ambiguous. */
const alphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const codeLength = 8;
const validForMs = 60 * 60_000;
/** Wrong codes one person may send an hour before pairing is locked for them. */
const maxFailuresPerPerson = 5;
/**
 * Wrong codes from everyone together an hour before pairing pauses for all. A locked person's tries
 * are not counted, so one person adds at most five an hour: it takes several to reach this, and it
 * lifts by itself an hour after the last of them.
 */
const maxFailuresOverall = 25;
const lockoutMs = 60 * 60_000;

export type PairingLock = { untilMs: number; everyone: boolean };

const normalise = (code: string): string => code.toUpperCase().replace(/[\s-]/g, '');
const hashOf = (salt: string, code: string): Buffer =>
  createHash('sha256').update(`${salt}:${code}`).digest();

/**
 * First-admin pairing: a one-time code, shown only in the bot's log or by `fleetbot pair` on the host,
 * proves that whoever sends it controls the host. Codes are stored hashed, compared in constant time,
 * expire after an hour. Five wrong tries lock pairing for that person for an hour; many wrong tries
 * from several people pause it for everyone for an hour. A stranger can never lock out the admin.
 */
export function createPairing(store: Store, clock: Clock) {
  const lockOf = (who: { platform: Platform; userId: string }): PairingLock | undefined => {
    const since = clock.now() - lockoutMs;
    const mine = store.pairing.failuresSince(since, principalKey(who));
    if (mine.count >= maxFailuresPerPerson && mine.last !== null)
      return { untilMs: mine.last + lockoutMs, everyone: false };
    const all = store.pairing.failuresSince(since);
    if (all.count >= maxFailuresOverall && all.last !== null)
      return { untilMs: all.last + lockoutMs, everyone: true };
    return undefined;
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
      if (lockOf(who)) return 'locked';
      const candidate = normalise(given);
      const match = store.pairing.open().find((c) => {
        const expected = Buffer.from(c.hash, 'hex');
        const actual = hashOf(c.salt, candidate);
        return expected.length === actual.length && timingSafeEqual(expected, actual);
      });
      const key = principalKey(who);
      if (!match || !store.pairing.use(match.id, key)) {
        store.pairing.recordFailure(key, clock.now() - lockoutMs);
        return lockOf(who) ? 'locked' : 'wrong';
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

    /** Whether pairing is locked for this person (or for everyone), and until when. */
    lockFor: lockOf,
  };
}
export type Pairing = ReturnType<typeof createPairing>;
