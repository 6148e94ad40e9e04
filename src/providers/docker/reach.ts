import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { Agent as HttpAgent, type Dispatcher } from 'undici';
import type { SshPool } from '../ssh/pool.js';
import type { SshAuth, SshTarget } from '../ssh/session.js';

/** How long opening a connection to a published port may take. */
const openTimeoutMs = 15_000;

/**
 * The Docker host's loopback, where agents' ports are published (127.0.0.1 only, never a public
 * address): this host's own when DOCKER_HOST is a local socket, the remote host's through an SSH
 * forwarded channel otherwise. Health checks and conversations reach agents through it.
 */
export type PortReach = {
  connect(port: number): Promise<Duplex>;
  /** HTTP to http://127.0.0.1:<port> on the Docker host, for health checks. */
  readonly dispatcher: Dispatcher;
  /** The agent's address as fleetbot's own host sees it; none on a remote Docker host. */
  localUrl(port: number): string | undefined;
  close(): Promise<void>;
};

/** Connections through `open`, one pooled HTTP client over them. */
const dispatcherOver = (open: (port: number) => Promise<Duplex>): Dispatcher =>
  new HttpAgent({
    connections: 16,
    connect: (options, callback) => {
      open(Number(options.port)).then(
        (stream) => callback(null, stream as never),
        (err: Error) => callback(err, null),
      );
    },
  });

export function localReach(): PortReach {
  const connect = (port: number): Promise<Duplex> =>
    new Promise((resolve, reject) => {
      const socket = netConnect({ host: '127.0.0.1', port, timeout: openTimeoutMs });
      socket.once('connect', () => {
        socket.setTimeout(0);
        resolve(socket);
      });
      socket.once('timeout', () => socket.destroy(new Error(`no connection within ${openTimeoutMs} ms`)));
      socket.once('error', reject);
    });
  const dispatcher = dispatcherOver(connect);
  return {
    connect,
    dispatcher,
    localUrl: (port) => `http://127.0.0.1:${port}`,
    close: () => dispatcher.close(),
  };
}

export function sshPortReach(opts: { pool: SshPool; auth: SshAuth; target: SshTarget }): PortReach {
  const connect = (port: number): Promise<Duplex> =>
    opts.pool.hold(
      opts.target,
      opts.auth,
      async (session) => {
        const stream = await session.forward(port, { timeoutMs: openTimeoutMs });
        return { value: stream, released: new Promise((resolve) => stream.once('close', resolve)) };
      },
      { deadlineMs: openTimeoutMs },
    );
  const dispatcher = dispatcherOver(connect);
  return { connect, dispatcher, localUrl: () => undefined, close: () => dispatcher.close() };
}
