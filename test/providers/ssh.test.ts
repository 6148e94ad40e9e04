import { statSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/runtime/clock.js';
import { generateHostKey } from '../../src/providers/ssh/hostKey.js';
import { connectSsh, HostKeyMismatchError, OutputTooLargeError } from '../../src/providers/ssh/session.js';
import { tempDir } from '../support/env.js';
import { failureOf } from '../support/failure.js';
import { startSshServer, type SshTestServer } from '../support/sshServer.js';

const login = generateHostKey('fleetbot login');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function machine(hostKey = generateHostKey('host')): Promise<SshTestServer> {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  const server = await startSshServer({
    hostKey: hostKey.privateKey,
    authorizedKey: login.publicKey,
    username: 'root',
    root: tmp.dir,
    onExec: (command, stdin) =>
      command === 'cat' ? { code: 0, stdout: stdin } : { code: 3, stdout: 'out', stderr: `no ${command}` },
  });
  cleanups.push(() => server.close());
  return server;
}

const auth = { privateKey: login.privateKey };

/** A fake machine with a fresh host key, and a session that pinned it. */
async function pinnedSession() {
  const hostKey = generateHostKey('host');
  const server = await machine(hostKey);
  const ssh = await connectSsh(
    { host: '127.0.0.1', port: server.port, username: 'root', hostKey: hostKey.publicKey },
    auth,
    { clock: systemClock, deadlineMs: 5_000 },
  );
  cleanups.push(() => ssh.close());
  return { server, ssh };
}

describe('SSH with pinned host keys', () => {
  it('connects to the pinned key, runs commands with their exit code and output, and uploads 0600', async () => {
    const { server, ssh } = await pinnedSession();
    expect(await ssh.exec('cat', { timeoutMs: 5_000, input: 'from stdin' })).toEqual({
      code: 0,
      stdout: 'from stdin',
      stderr: '',
    });
    expect(await ssh.exec('false', { timeoutMs: 5_000 })).toEqual({
      code: 3,
      stdout: 'out',
      stderr: 'no false',
    });
    await ssh.upload('/opt/app/secrets.env', 'KEY="value"\n', 0o600);
    const file = server.local('/opt/app/secrets.env');
    expect(readFileSync(file, 'utf8')).toBe('KEY="value"\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // A secret given as input never shows up in the command line the server saw.
    expect(server.commands).toEqual(['cat', 'false']);
  });

  it("stops reading a command's output at its cap, so a machine cannot fill fleetbot's memory", async () => {
    const { ssh } = await pinnedSession();
    const flood = 'x'.repeat(256 * 1024);
    const error = await ssh.exec('cat', { timeoutMs: 5_000, input: flood, maxOutputBytes: 64 * 1024 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(OutputTooLargeError);
    expect((error as Error).message).toBe('the command printed more than 65536 bytes');
    // The session stays usable for the next command.
    expect((await ssh.exec('cat', { timeoutMs: 5_000, input: 'next' })).stdout).toBe('next');
  });

  it('refuses a server that presents any other host key, at once and without retrying', async () => {
    const server = await machine();
    const started = Date.now();
    const err = await failureOf(
      connectSsh(
        {
          host: '127.0.0.1',
          port: server.port,
          username: 'root',
          hostKey: generateHostKey('other').publicKey,
        },
        auth,
        { clock: systemClock, deadlineMs: 10_000 },
      ),
    );
    expect(err).toBeInstanceOf(HostKeyMismatchError);
    expect(err.message).toMatch(
      /presented an SSH host key other than the one fleetbot pinned for it.*destroy and redeploy the agent/,
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(server.commands).toEqual([]);
  });

  it('keeps trying until SSH answers, then gives up at the deadline with what to check', async () => {
    const hostKey = generateHostKey('host');
    const err = await failureOf(
      connectSsh({ host: '127.0.0.1', port: 1, username: 'root', hostKey: hostKey.publicKey }, auth, {
        clock: systemClock,
        deadlineMs: 300,
        retryDelayMs: 50,
      }),
    );
    expect(err.message).toMatch(
      /SSH to 127\.0\.0\.1:1 did not answer within 0 s .*ECONNREFUSED.*port 1 is open/,
    );
  });

  it('gives up on a machine that takes the connection but never speaks SSH, and the process lives on', async () => {
    // A server too loaded to answer: the TCP connection opens, no SSH banner ever comes.
    const accepted: Socket[] = [];
    const silent = createServer((socket) => void accepted.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of accepted) socket.destroy();
          silent.close(() => resolve());
        }),
    );
    const uncaught: unknown[] = [];
    const record = (err: unknown): void => void uncaught.push(err);
    process.on('uncaughtException', record);
    cleanups.push(() => void process.off('uncaughtException', record));
    const { port } = silent.address() as AddressInfo;
    const err = await failureOf(
      connectSsh(
        { host: '127.0.0.1', port, username: 'root', hostKey: generateHostKey('h').publicKey },
        auth,
        {
          clock: systemClock,
          deadlineMs: 400,
          attemptTimeoutMs: 200,
          retryDelayMs: 50,
        },
      ),
    );
    expect(err.message).toMatch(/did not answer within 0 s \(Timed out while waiting for handshake\)/);
    // ssh2 drops the socket after its timeout and reports that as a second error.
    await new Promise((r) => setTimeout(r, 200));
    expect(uncaught).toEqual([]);
  });

  it('names the key setting when the login is refused', async () => {
    const hostKey = generateHostKey('host');
    const server = await machine(hostKey);
    const err = await failureOf(
      connectSsh(
        { host: '127.0.0.1', port: server.port, username: 'root', hostKey: hostKey.publicKey },
        { privateKey: generateHostKey('stranger').privateKey },
        { clock: systemClock, deadlineMs: 5_000 },
      ),
    );
    expect(err.message).toMatch(/refused fleetbot's SSH key\. Check FLEETBOT_SSH_KEY/);
  });
});

describe('generated host keys', () => {
  it('are always readable, even where ssh2 would produce a malformed pair', () => {
    for (let i = 0; i < 3000; i++) {
      const pair = generateHostKey('fleetbot alice');
      expect(pair.publicKey).toMatch(
        /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} fleetbot alice$/,
      );
    }
  });
});
