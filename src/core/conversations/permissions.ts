import { randomBytes } from 'node:crypto';
import type { Clock } from '../runtime/clock.js';
import type { PermissionChoice } from './protocol.js';

/** What a permission card was about, for the press to check who may answer it. */
export type PendingPermission = {
  id: string;
  /** The principal who asked the prompt that led here; they may answer, as may any operator. */
  asker: string;
  agent: string;
  conversationId: number;
};

/**
 * Permission requests waiting for a person: each resolves once, with the first answer, with `reject`
 * when its time runs out, or when its turn ends first (cancelled, failed, fleetbot stopping).
 */
export function createPermissionWaits(deps: { clock: Clock }) {
  const waiting = new Map<
    string,
    PendingPermission & { resolve: (choice: PermissionChoice) => void; timer: unknown }
  >();

  const settle = (id: string, choice: PermissionChoice): boolean => {
    const entry = waiting.get(id);
    if (!entry) return false;
    waiting.delete(id);
    deps.clock.clearTimeout(entry.timer);
    entry.resolve(choice);
    return true;
  };

  return {
    /**
     * Opens a wait; `onExpire` runs when nobody answered in time (to mark its card). The signal is the
     * turn's: a cancelled turn rejects its open requests.
     */
    open(p: Omit<PendingPermission, 'id'> & { ttlMs: number; signal: AbortSignal; onExpire: () => void }): {
      id: string;
      choice: Promise<PermissionChoice>;
    } {
      const id = randomBytes(9).toString('base64url');
      const choice = new Promise<PermissionChoice>((resolve) => {
        const timer = deps.clock.setTimeout(() => {
          if (settle(id, 'reject')) p.onExpire();
        }, p.ttlMs);
        waiting.set(id, {
          id,
          asker: p.asker,
          agent: p.agent,
          conversationId: p.conversationId,
          resolve,
          timer,
        });
        p.signal.addEventListener('abort', () => settle(id, 'reject'), { once: true });
      });
      return { id, choice };
    },
    /** The request a card's press is about, while it still waits. */
    find: (id: string): PendingPermission | undefined => {
      const entry = waiting.get(id);
      return (
        entry && {
          id: entry.id,
          asker: entry.asker,
          agent: entry.agent,
          conversationId: entry.conversationId,
        }
      );
    },
    /** Hands the person's choice to the waiting turn; false when it no longer waits. */
    answer: (id: string, choice: PermissionChoice): boolean => settle(id, choice),
    get size(): number {
      return waiting.size;
    },
  };
}

export type PermissionWaits = ReturnType<typeof createPermissionWaits>;
