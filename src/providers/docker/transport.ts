import type { Duplex } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import type { SshPool } from '../ssh/pool.js';
import type { SshAuth, SshTarget } from '../ssh/session.js';
import type { DockerHost } from './dockerHost.js';

/** Calls in flight to one Engine at once: a hundred parallel deploys queue here, not in dockerd. */
const connections = 16;
/** How long opening the Engine's socket over SSH may take on a kept connection. */
const openTimeoutMs = 15_000;

export type SshReach = {
  pool: SshPool;
  auth: SshAuth;
  /** The pinned host key of the DOCKER_HOST's host; connectSsh refuses any other. */
  hostKey: string;
};

/**
 * The connections to an Engine: its Unix socket on this host, or the remote socket over fleetbot's
 * kept SSH connection (one pooled session held per open HTTP connection, released when it closes).
 */
export function engineDispatcher(host: DockerHost, ssh?: SshReach): Dispatcher {
  if (host.kind === 'unix') return new Pool('http://docker', { socketPath: host.socketPath, connections });
  if (!ssh)
    throw new Error(
      `reaching ${host.host}'s Docker over SSH needs fleetbot's SSH login and the host's pinned key`,
    );
  const target: SshTarget = { host: host.host, port: host.port, username: host.user, hostKey: ssh.hostKey };
  const open = (): Promise<Duplex> =>
    ssh.pool.hold(
      target,
      ssh.auth,
      async (session) => {
        const stream = await session.forwardSocket(host.socketPath, { timeoutMs: openTimeoutMs });
        return { value: stream, released: new Promise((resolve) => stream.once('close', resolve)) };
      },
      { deadlineMs: openTimeoutMs },
    );
  return new Pool('http://docker', {
    connections,
    connect: (_options, callback) => {
      open().then(
        (stream) => callback(null, stream as never),
        (err: Error) => callback(err, null),
      );
    },
  });
}
