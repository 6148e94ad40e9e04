import { createConnection } from 'node:net';
import ssh2 from 'ssh2';
import type { Duplex } from 'node:stream';
import type { ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';
import type { AgentProcess } from '../../core/fleet/provider.js';
import { sleep, type Clock } from '../../core/runtime/clock.js';
import { errorMessage, UserError } from '../../core/runtime/errors.js';
import { outputTail, stderrTailLimits } from '../outputTail.js';
import { publicKeyBlob } from './hostKey.js';

const { Client } = ssh2;
type Connection = InstanceType<typeof Client>;

/** How fleetbot logs in: a key file's contents (and passphrase), or the SSH agent's socket. */
export type SshAuth = { privateKey: Buffer | string; passphrase?: string } | { agent: string };

export type SshTarget = {
  host: string;
  port: number;
  username: string;
  /** The only host key accepted (OpenSSH public key line). */
  hostKey: string;
};

export type ExecResult = { code: number; stdout: string; stderr: string };

/** A command printed more than its output cap; fleetbot closed the channel instead of reading on. */
export class OutputTooLargeError extends Error {}

/** What a command may print (stdout and stderr each) unless it asks for less: journals and builds fit. */
const defaultMaxOutputBytes = 4 * 1024 * 1024;

/** The server presented a host key other than the pinned one: never retried, never trusted. */
export class HostKeyMismatchError extends UserError {}

export type SshSession = {
  /** Runs a command; input (e.g. a script) goes to its stdin so nothing secret is in its argv. */
  exec(
    command: string,
    opts: { timeoutMs: number; input?: string | Buffer; signal?: AbortSignal; maxOutputBytes?: number },
  ): Promise<ExecResult>;
  /**
   * Starts a command and streams it: stdin and stdout are the channel's, stderr is kept as a capped
   * tail. `kill()` sends the remote process SIGKILL and closes the channel; what the command started
   * beyond that process is the caller's to end (a pid namespace or a unit does that).
   */
  stream(command: string, opts: { timeoutMs: number }): Promise<Omit<AgentProcess, 'cwd'>>;
  /** A byte stream to a port on the machine's own loopback (a direct-tcpip channel). */
  forward(port: number, opts: { timeoutMs: number }): Promise<Duplex>;
  /** A byte stream to a Unix socket on the machine (OpenSSH's streamlocal channel), e.g. Docker's. */
  forwardSocket(socketPath: string, opts: { timeoutMs: number }): Promise<Duplex>;
  /** Writes a file over SFTP with the given mode (0600 for secrets), replacing any previous one. */
  upload(path: string, content: string | Buffer, mode: number): Promise<void>;
  /** False once the connection closed or failed; such a session is never handed out again. */
  readonly open: boolean;
  close(): void;
};

/** The pinned key's type, asked for first: a host with several keys then presents the pinned one. */
function hostKeyAlgorithms(blob: Buffer): string[] {
  const type = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString('latin1');
  return type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type];
}

function connectOnce(target: SshTarget, auth: SshAuth, timeoutMs: number): Promise<Connection> {
  const expected = publicKeyBlob(target.hostKey);
  let presented: Buffer | undefined;
  return new Promise((resolve, reject) => {
    const conn = new Client();
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.username,
      readyTimeout: timeoutMs,
      keepaliveInterval: 15_000,
      algorithms: {
        serverHostKey: hostKeyAlgorithms(expected) as NonNullable<
          ConnectConfig['algorithms']
        >['serverHostKey'],
      },
      hostVerifier: (key: Buffer) => {
        presented = key;
        return key.equals(expected);
      },
      ...('agent' in auth ? { agent: auth.agent } : auth),
    };
    let settled = false;
    conn.once('ready', () => {
      settled = true;
      resolve(conn);
    });
    // `on`, not `once`: a handshake that times out is followed by a second error when ssh2 drops the
    // socket ("Connection lost before handshake"), and an error nobody listens to ends the process.
    conn.on('error', (err) => {
      if (settled) return;
      settled = true;
      conn.end();
      if (presented && !presented.equals(expected)) {
        reject(
          new HostKeyMismatchError(
            `${target.host} presented an SSH host key other than the one fleetbot pinned for it, so fleetbot refused to connect (possible interception, or the machine was rebuilt). For a server fleetbot created, destroy and redeploy the agent; for your own host, compare the key on the machine with FLEETBOT_SSH_KNOWN_HOSTS. Do not trust the new key by hand.`,
          ),
        );
      } else reject(err);
    });
    conn.connect(config);
    // Each exec is a few small packets each way; with Nagle on, every one waits out a delayed ACK (40 ms).
    conn.setNoDelay(true);
  });
}

/**
 * Connects, retrying until the deadline: a new server answers SSH 10–25 s after it reports running.
 * A host key mismatch or a refused login ends the attempts at once.
 */
export async function connectSsh(
  target: SshTarget,
  auth: SshAuth,
  opts: {
    clock: Clock;
    deadlineMs: number;
    attemptTimeoutMs?: number;
    retryDelayMs?: number;
    signal?: AbortSignal;
  },
): Promise<SshSession> {
  const deadline = opts.clock.now() + opts.deadlineMs;
  let last: unknown;
  for (;;) {
    opts.signal?.throwIfAborted();
    try {
      return session(await connectOnce(target, auth, opts.attemptTimeoutMs ?? 10_000));
    } catch (err) {
      if (err instanceof HostKeyMismatchError) throw err;
      if ((err as { level?: string }).level === 'client-authentication') {
        throw new UserError(
          `${target.username}@${target.host} refused fleetbot's SSH key. Check FLEETBOT_SSH_KEY (or the SSH agent) and that its public key is authorised for ${target.username}.`,
        );
      }
      last = err;
    }
    if (opts.clock.now() >= deadline) break;
    await sleep(opts.clock, opts.retryDelayMs ?? 2_000, opts.signal);
  }
  throw new UserError(
    `SSH to ${target.host}:${target.port} did not answer within ${Math.round(opts.deadlineMs / 1000)} s (${errorMessage(last)}). Check that the server is running and port ${target.port} is open.`,
  );
}

/**
 * Opens a channel, or fails after timeoutMs; a channel the server grants after that is closed at
 * once, so a slow answer leaves nothing open on the machine.
 */
function opened(
  what: string,
  timeoutMs: number,
  open: (done: (err: Error | undefined, channel: ClientChannel) => void) => void,
): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new Error(`${what} got no answer within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    open((err, channel) => {
      clearTimeout(timer);
      if (late) channel?.close();
      else if (err) reject(new Error(`${what} was refused by the machine: ${err.message}`));
      else resolve(channel);
    });
  });
}

function session(conn: Connection): SshSession {
  let open = true;
  // A kept connection can fail long after the handshake; without a listener that would crash the process.
  conn.on('error', () => (open = false));
  conn.on('end', () => (open = false));
  conn.on('close', () => (open = false));
  // One SFTP channel per connection, opened on the first upload: a deploy uploads half a dozen files.
  let channel: Promise<SFTPWrapper> | undefined;
  const sftp = (): Promise<SFTPWrapper> => {
    channel ??= new Promise<SFTPWrapper>((resolve, reject) =>
      conn.sftp((err, opened) => {
        if (err) return reject(err);
        opened.on('close', () => (channel = undefined));
        resolve(opened);
      }),
    ).catch((err: unknown) => {
      channel = undefined;
      throw err;
    });
    return channel;
  };
  return {
    exec: (command, { timeoutMs, input, signal, maxOutputBytes = defaultMaxOutputBytes }) =>
      new Promise((resolve, reject) => {
        conn.exec(command, (err, stream) => {
          if (err) {
            reject(err);
            return;
          }
          let stdout = '';
          let stderr = '';
          const stop = (reason: Error): void => {
            stream.close();
            reject(reason);
          };
          const timer = setTimeout(
            () => stop(new Error(`the command did not finish within ${Math.round(timeoutMs / 1000)} s`)),
            timeoutMs,
          );
          const onAbort = (): void => stop(signal?.reason as Error);
          signal?.addEventListener('abort', onAbort, { once: true });
          // What runs on a machine may be the agent's: each stream is read only up to the cap.
          const capped = (add: (text: string) => void) => {
            let size = 0;
            return (chunk: Buffer): void => {
              size += chunk.length;
              if (size > maxOutputBytes)
                stop(new OutputTooLargeError(`the command printed more than ${maxOutputBytes} bytes`));
              else add(chunk.toString('utf8'));
            };
          };
          stream.on(
            'data',
            capped((text) => (stdout += text)),
          );
          stream.stderr.on(
            'data',
            capped((text) => (stderr += text)),
          );
          stream.on('close', (code: number | null | undefined) => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            if (code == null && !open)
              reject(new Error('the SSH connection closed before the command finished'));
            else resolve({ code: code ?? -1, stdout, stderr });
          });
          stream.end(input ?? '');
        });
      }),
    stream: (command, { timeoutMs }) =>
      opened('a channel for the command', timeoutMs, (done) => conn.exec(command, done)).then((channel) => {
        const tail = outputTail(stderrTailLimits);
        channel.stderr.on('data', (chunk: Buffer) => tail.push(chunk));
        // How it ended is told by `ended`: a write after the machine closed must not end fleetbot.
        channel.on('error', () => undefined);
        let killed = false;
        // It ended when the machine says it exited, whether or not its output was read yet; or
        // when the channel closed without saying (the connection dropped).
        const ended = new Promise<string>((resolve) => {
          const say = (why: string): void => resolve(killed ? 'killed by SIGKILL' : why);
          channel.once('exit', (code: number | null, signal?: string) =>
            say(code === null ? `killed by SIG${signal ?? '?'}` : `exited with code ${code}`),
          );
          channel.once('close', () =>
            say(open ? 'ended without an exit status' : 'the SSH connection closed'),
          );
        });
        return {
          stdin: channel,
          stdout: channel,
          stderrTail: () => tail.text(),
          ended,
          kill() {
            killed = true;
            // OpenSSH delivers a signal request to the process it started, then the close.
            channel.signal('KILL');
            channel.close();
          },
        };
      }),
    forward: (port, { timeoutMs }) =>
      opened(`a channel to port ${port}`, timeoutMs, (done) =>
        conn.forwardOut('127.0.0.1', 0, '127.0.0.1', port, done),
      ),
    forwardSocket: (socketPath, { timeoutMs }) =>
      opened(`a channel to ${socketPath}`, timeoutMs, (done) =>
        conn.openssh_forwardOutStreamLocal(socketPath, done),
      ),
    upload: async (path, content, mode) => {
      const files = await sftp();
      await new Promise<void>((resolve, reject) => {
        const done = (e?: Error | null): void => {
          if (e) reject(new Error(`could not write ${path} over SFTP: ${e.message}`));
          else resolve();
        };
        // The mode is set on open, so a secret is never readable by others even for a moment.
        files.writeFile(path, content, { mode }, (writeErr) => {
          if (writeErr) done(writeErr);
          else files.chmod(path, mode, done);
        });
      });
    },
    get open() {
      return open;
    },
    close: () => {
      open = false;
      conn.end();
    },
  };
}

/**
 * Waits until something on host:port speaks SSH (sends its "SSH-" banner). A server reports `running`
 * 10–25 s before sshd answers, so this is polled up to a deadline rather than assumed.
 */
export async function waitForSshBanner(
  host: string,
  port: number,
  opts: { clock: Clock; deadlineMs: number; retryDelayMs?: number; signal?: AbortSignal },
): Promise<void> {
  const deadline = opts.clock.now() + opts.deadlineMs;
  let last: string;
  for (;;) {
    opts.signal?.throwIfAborted();
    const banner = await new Promise<string>((resolve) => {
      const socket = createConnection({ host, port });
      const done = (text: string): void => {
        socket.destroy();
        resolve(text);
      };
      socket.setTimeout(5_000, () => done('timed out'));
      socket.once('data', (chunk: Buffer) => done(chunk.toString('latin1')));
      socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
    });
    if (banner.startsWith('SSH-')) return;
    last = banner.slice(0, 60);
    if (opts.clock.now() >= deadline) break;
    await sleep(opts.clock, opts.retryDelayMs ?? 2_000, opts.signal);
  }
  throw new UserError(
    `SSH on ${host}:${port} did not answer within ${Math.round(opts.deadlineMs / 1000)} s (${last}). The server may still be booting or port ${port} is blocked; try again, or check its console in the Hetzner Console.`,
  );
}
