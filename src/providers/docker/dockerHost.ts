import { z } from 'zod';

/** Where Docker's own socket is when DOCKER_HOST does not say. */
export const defaultDockerSocket = '/var/run/docker.sock';

/**
 * Where the Docker Engine answers, as Docker's own `DOCKER_HOST` names it: a Unix socket on this host,
 * or a remote host's socket reached through fleetbot's kept SSH connection (`ssh://user@host[:port]`),
 * whose host key must be pinned like any ssh host's. Plain `tcp://` is refused: the Engine API is root
 * on that host, and fleetbot does not send it over an unauthenticated socket.
 */
export type DockerHost =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'ssh'; user: string; host: string; port: number; socketPath: string };

const sshUrl = /^ssh:\/\/([a-z_][a-z0-9_.-]{0,31})@(\[[0-9a-f:]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/;

export const dockerHostSchema = z
  .string()
  .trim()
  .transform((value, ctx): DockerHost => {
    if (value.startsWith('unix://')) {
      const socketPath = value.slice('unix://'.length);
      if (socketPath.startsWith('/')) return { kind: 'unix', socketPath };
    }
    const ssh = sshUrl.exec(value);
    if (ssh) {
      const port = ssh[3] === undefined ? 22 : Number(ssh[3]);
      if (port >= 1 && port <= 65_535)
        return {
          kind: 'ssh',
          user: ssh[1]!,
          host: ssh[2]!.replace(/^\[(.*)\]$/, '$1'),
          port,
          socketPath: defaultDockerSocket,
        };
    }
    ctx.addIssue({
      code: 'custom',
      message: `DOCKER_HOST is unix:///path/to/docker.sock or ssh://user@host[:port] (tcp:// is not used: the Engine API is root on its host)`,
    });
    return z.NEVER;
  });

/** How messages name it: "the Docker socket /var/run/docker.sock" or "Docker on deploy@10.0.0.5". */
export const describeDockerHost = (h: DockerHost): string =>
  h.kind === 'unix' ? `the Docker socket ${h.socketPath}` : `Docker on ${h.user}@${h.host}`;
