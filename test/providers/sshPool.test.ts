import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../src/core/runtime/clock.js';
import { generateHostKey, type HostKeyPair } from '../../src/providers/ssh/hostKey.js';
import { createSshPool, type SshPool } from '../../src/providers/ssh/pool.js';
import { HostKeyMismatchError, type SshTarget } from '../../src/providers/ssh/session.js';
import { tempDir } from '../support/env.js';
import { failureOf } from '../support/failure.js';
import { manualClock } from '../support/manualClock.js';
import { startSshServer, type ExecReply, type SshTestServer } from '../support/sshServer.js';

const login = generateHostKey('fleetbot login');
const auth = { privateKey: login.privateKey };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const until = async (done: () => boolean): Promise<void> => {
  for (let i = 0; i < 300 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(done()).toBe(true);
};

async function machine(
  hostKey: HostKeyPair,
  onExec: (command: string, server: () => SshTestServer) => Promise<ExecReply> | ExecReply = (command) => ({
    code: 0,
    stdout: command,
  }),
  port?: number,
): Promise<SshTestServer> {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  const server: SshTestServer = await startSshServer({
    hostKey: hostKey.privateKey,
    authorizedKey: login.publicKey,
    username: 'root',
    root: tmp.dir,
    ...(port === undefined ? {} : { port }),
    onExec: (command) => onExec(command, () => server),
  });
  cleanups.push(() => server.close());
  return server;
}

function pool(clock: Clock = systemClock, idleMs = 60_000): SshPool {
  const p = createSshPool({ clock, idleMs });
  cleanups.push(() => p.close());
  return p;
}

const target = (server: SshTestServer, hostKey: HostKeyPair): SshTarget => ({
  host: '127.0.0.1',
  port: server.port,
  username: 'root',
  hostKey: hostKey.publicKey,
});

const echo = (p: SshPool, t: SshTarget, command: string) =>
  p.use(t, auth, (ssh) => ssh.exec(command, { timeoutMs: 5_000 }), { deadlineMs: 5_000 });

describe('the SSH connection pool', () => {
  it("runs a job's steps over one connection and its uploads over one SFTP channel", async () => {
    const hostKey = generateHostKey('host');
    const server = await machine(hostKey);
    const p = pool();
    for (const step of ['upload', 'start']) {
      await p.use(
        target(server, hostKey),
        auth,
        async (ssh) => {
          await ssh.exec(step, { timeoutMs: 5_000 });
          await ssh.upload(`/opt/${step}/a`, 'a', 0o600);
          await ssh.upload(`/opt/${step}/b`, 'b', 0o644);
        },
        { deadlineMs: 5_000 },
      );
    }
    expect(server.commands).toEqual(['upload', 'start']);
    expect(readFileSync(server.local('/opt/start/b'), 'utf8')).toBe('b');
    expect(server.connections()).toEqual({ made: 1, open: 1 });
    p.close();
    await until(() => server.connections().open === 0);
  });

  it('lends a connection to one user at a time and keeps both for later', async () => {
    const hostKey = generateHostKey('host');
    const server = await machine(hostKey);
    const p = pool();
    const t = target(server, hostKey);
    await Promise.all([echo(p, t, 'health'), echo(p, t, 'logs')]);
    expect(server.connections().made).toBe(2);
    await Promise.all([echo(p, t, 'health'), echo(p, t, 'logs')]);
    expect(server.connections()).toEqual({ made: 2, open: 2 });
  });

  it('runs the work once more on a new connection when the kept one died under it', async () => {
    const hostKey = generateHostKey('host');
    let rebooting = false;
    const server = await machine(hostKey, (command, self) => {
      if (!rebooting) return { code: 0, stdout: command };
      rebooting = false;
      self().drop();
      return new Promise<never>(() => undefined);
    });
    const p = pool();
    const t = target(server, hostKey);
    await echo(p, t, 'true');
    rebooting = true;
    expect(await echo(p, t, 'systemctl is-active x')).toMatchObject({
      code: 0,
      stdout: 'systemctl is-active x',
    });
    expect(server.commands).toEqual(['true', 'systemctl is-active x', 'systemctl is-active x']);
    expect(server.connections().made).toBe(2);

    // A connection seen to close while kept is simply replaced.
    server.drop();
    await until(() => server.connections().open === 0);
    expect((await echo(p, t, 'after')).stdout).toBe('after');
    expect(server.connections()).toEqual({ made: 3, open: 1 });
  });

  it('closes a connection left unused for idleMs, on the injected clock', async () => {
    const clock = manualClock();
    const hostKey = generateHostKey('host');
    const server = await machine(hostKey);
    const p = pool(clock, 30_000);
    await echo(p, target(server, hostKey), 'true');
    await clock.advance(29_999);
    expect(server.connections().open).toBe(1);
    await clock.advance(1);
    await until(() => server.connections().open === 0);
    await echo(p, target(server, hostKey), 'true');
    expect(server.connections()).toEqual({ made: 2, open: 1 });
  });

  it('never lends a connection for another pinned key, and refuses a rebuilt machine', async () => {
    const hostKey = generateHostKey('host');
    const server = await machine(hostKey);
    const p = pool();
    await echo(p, target(server, hostKey), 'true');
    const impostor = generateHostKey('impostor');
    const err = await failureOf(echo(p, target(server, impostor), 'true'));
    expect(err).toBeInstanceOf(HostKeyMismatchError);
    expect(server.commands).toEqual(['true']);

    // The machine is rebuilt at the same address with another key: the kept connection dies with the
    // old one, and the new connection is refused because the pin no longer matches.
    const { port } = server;
    await server.close();
    const rebuilt = await machine(generateHostKey('rebuilt'), undefined, port);
    const refused = await failureOf(echo(p, target(server, hostKey), 'true'));
    expect(refused).toBeInstanceOf(HostKeyMismatchError);
    expect(refused.message).toMatch(/presented an SSH host key other than the one fleetbot pinned/);
    expect(rebuilt.commands).toEqual([]);
  });
});
