import type { Clock } from '../../core/runtime/clock.js';
import type { Logger } from '../../core/runtime/logging.js';

/** The part of Socket Mode's client the watchdog needs (the SDK's SocketModeClient fits). */
export type SocketClient = {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  readonly websocket?: { disconnect(): void } | undefined;
};

export type WatchdogTimings = {
  /** Offline this long (no `hello` since the socket dropped) and the watchdog reconnects itself. */
  reconnectAfterMs: number;
  /** Offline this long and it gives up, so the supervisor restarts the process. */
  fatalAfterMs: number;
  checkEveryMs: number;
};

export const defaultWatchdog: WatchdogTimings = {
  reconnectAfterMs: 60_000,
  fatalAfterMs: 10 * 60_000,
  checkEveryMs: 10_000,
};

/**
 * The SDK reconnects on `disconnect` messages and on sockets that stop answering pings, but a
 * reconnect can stall (a socket that opens and never says hello, a connections.open that keeps
 * failing): then nothing arrives and nothing says so. The watchdog notices the silence, reconnects,
 * and if that does not help either, calls onFatal so the process is restarted.
 */
export function watchSocket(opts: {
  client: SocketClient;
  clock: Clock;
  log: Logger;
  onFatal: (err: Error) => void;
  timings: WatchdogTimings;
}): { stop(): void; offlineForMs(): number | undefined } {
  const { client, clock, log, timings } = opts;
  let offlineSince: number | undefined;
  let lastKick = -Infinity;
  let timer: unknown;
  let stopped = false;

  let connectedBefore = false;
  client.on('connected', () => {
    if (connectedBefore && offlineSince !== undefined)
      log.info({ offlineMs: clock.now() - offlineSince }, 'slack socket connected again');
    connectedBefore = true;
    offlineSince = undefined;
  });
  for (const state of ['reconnecting', 'disconnected', 'connecting'])
    client.on(state, () => {
      offlineSince ??= clock.now();
    });

  // Closing the socket (not the client) hands the reconnect to the SDK's own loop, so no start() of
  // its own is left to fail unobserved.
  const kick = (): void => client.websocket?.disconnect();

  const check = (): void => {
    if (stopped) return;
    const now = clock.now();
    if (offlineSince !== undefined) {
      const silentMs = now - offlineSince;
      if (silentMs >= timings.fatalAfterMs) {
        log.error({ silentMs }, 'slack socket has been offline too long; giving up');
        stopped = true;
        opts.onFatal(
          new Error(
            `Slack Socket Mode has had no working connection for ${Math.round(silentMs / 1000)} s. Check the network and SLACK_APP_TOKEN; fleetbot exits so its supervisor can restart it.`,
          ),
        );
        return;
      }
      if (silentMs >= timings.reconnectAfterMs && now - lastKick >= timings.reconnectAfterMs) {
        lastKick = now;
        log.warn({ silentMs }, 'slack socket is silent; reconnecting');
        kick();
      }
    }
    timer = clock.setTimeout(check, timings.checkEveryMs);
  };
  timer = clock.setTimeout(check, timings.checkEveryMs);

  return {
    stop() {
      stopped = true;
      clock.clearTimeout(timer);
    },
    offlineForMs: () => (offlineSince === undefined ? undefined : clock.now() - offlineSince),
  };
}
