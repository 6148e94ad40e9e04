import type { Clock } from '../../core/runtime/clock.js';
import { connectSsh, type SshAuth, type SshSession, type SshTarget } from './session.js';

type Kept = { session: SshSession; timer: unknown };

/**
 * SSH connections kept open between uses: a deploy runs five or six steps on one machine, and each
 * handshake costs a round trip per key exchange and signature. A session is lent to one user at a time
 * (so an OpenSSH server's MaxSessions never matters), is keyed by everything a connection was verified
 * against (host, port, user, pinned host key), and is closed after idleMs unused. One pool serves one
 * login: auth is not part of the key.
 */
export function createSshPool(opts: { clock: Clock; idleMs: number }) {
  const { clock } = opts;
  const kept = new Map<string, Kept[]>();
  let closed = false;
  const keyOf = (t: SshTarget): string => JSON.stringify([t.host, t.port, t.username, t.hostKey]);

  const take = (key: string): SshSession | undefined => {
    const list = kept.get(key) ?? [];
    for (let entry = list.pop(); entry; entry = list.pop()) {
      clock.clearTimeout(entry.timer);
      if (entry.session.open) return entry.session;
      entry.session.close();
    }
    return undefined;
  };

  const giveBack = (key: string, session: SshSession): void => {
    if (closed || !session.open) {
      session.close();
      return;
    }
    const list = kept.get(key) ?? [];
    kept.set(key, list);
    const entry: Kept = { session, timer: undefined };
    entry.timer = clock.setTimeout(() => {
      list.splice(list.indexOf(entry), 1);
      session.close();
    }, opts.idleMs);
    list.push(entry);
  };

  const lend = async <T>(
    key: string,
    session: SshSession,
    fn: (ssh: SshSession) => Promise<T>,
  ): Promise<T> => {
    try {
      return await fn(session);
    } finally {
      giveBack(key, session);
    }
  };

  return {
    /**
     * Runs fn on a kept session to target, or on a new one (which connectSsh verifies against the pinned
     * key). When a kept connection turns out to have died (the server restarted, a NAT forgot it), fn
     * runs once more on a new connection; install steps are safe to repeat.
     */
    async use<T>(
      target: SshTarget,
      auth: SshAuth,
      fn: (ssh: SshSession) => Promise<T>,
      connect: { deadlineMs: number; signal?: AbortSignal },
    ): Promise<T> {
      const key = keyOf(target);
      const reused = take(key);
      if (reused) {
        try {
          return await lend(key, reused, fn);
        } catch (err) {
          if (reused.open) throw err;
        }
      }
      return lend(key, await connectSsh(target, auth, { clock, ...connect }), fn);
    },
    /**
     * Lends a session until `released` settles, handing back `value` as soon as `open` has it: a
     * tunnel or a long-running process holds its connection for as long as it lives, so the pool
     * neither lends that session to a second user meanwhile nor closes it as idle under it.
     */
    hold<T>(
      target: SshTarget,
      auth: SshAuth,
      open: (ssh: SshSession) => Promise<{ value: T; released: Promise<unknown> }>,
      connect: { deadlineMs: number; signal?: AbortSignal },
    ): Promise<T> {
      return new Promise((resolve, reject) => {
        this.use(
          target,
          auth,
          async (ssh) => {
            const { value, released } = await open(ssh);
            resolve(value);
            await released;
          },
          connect,
        ).catch(reject);
      });
    },
    /** Closes every kept connection; sessions still lent out are closed when they come back. */
    close(): void {
      closed = true;
      for (const entry of [...kept.values()].flat()) {
        clock.clearTimeout(entry.timer);
        entry.session.close();
      }
      kept.clear();
    },
  };
}
export type SshPool = ReturnType<typeof createSshPool>;
