import type { Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/logging.js';
import type { AgentSession } from './protocol.js';

/**
 * The agent sessions (processes, connections) of live conversations, by conversation id. A session is
 * kept for its role's `idle` time after its last turn, so a follow-up answers at once, then closed; a
 * session whose process ended is opened again on the next turn.
 */
export function createSessionPool(deps: { clock: Clock; log: Logger }) {
  const { clock, log } = deps;
  const live = new Map<number, { session: AgentSession; idleTimer?: unknown; busy: number }>();

  const close = (id: number): void => {
    const entry = live.get(id);
    if (!entry) return;
    live.delete(id);
    if (entry.idleTimer !== undefined) clock.clearTimeout(entry.idleTimer);
    entry.session
      .close()
      .catch((err: unknown) => log.warn({ err, conversation: id }, 'could not close a session'));
  };

  return {
    /**
     * The conversation's open session, or a new one from `open`. The caller hands it back with
     * `release` after the turn; until then it is not closed for idleness.
     */
    async acquire(id: number, open: () => Promise<AgentSession>): Promise<AgentSession> {
      const entry = live.get(id);
      if (entry?.session.alive) {
        entry.busy++;
        if (entry.idleTimer !== undefined) clock.clearTimeout(entry.idleTimer);
        delete entry.idleTimer;
        return entry.session;
      }
      if (entry) close(id);
      const session = await open();
      live.set(id, { session, busy: 1 });
      return session;
    },
    release(id: number, idleMs: number): void {
      const entry = live.get(id);
      if (!entry) return;
      entry.busy = Math.max(0, entry.busy - 1);
      if (entry.busy > 0) return;
      if (!entry.session.alive) {
        close(id);
        return;
      }
      entry.idleTimer = clock.setTimeout(() => close(id), idleMs);
    },
    /** Ends a conversation's session now (its agent is being destroyed, or fleetbot stops). */
    close,
    closeAll(): void {
      for (const id of [...live.keys()]) close(id);
    },
    get size(): number {
      return live.size;
    },
  };
}

export type SessionPool = ReturnType<typeof createSessionPool>;
