import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { systemClock } from '../../src/core/runtime/clock.js';
import { generateHostKey, type HostKeyPair } from '../../src/providers/ssh/hostKey.js';
import { waitForSshBanner } from '../../src/providers/ssh/session.js';
import { tempDir } from '../support/env.js';
import { must, runTool } from './tools.js';
import { stopChild, undoList } from '../support/teardown.js';

/**
 * A stand-in "VM": OpenSSH's sshd in a network namespace of its own, reached over a veth pair at a
 * 10.231.x.0/30 address, with its own config and an ed25519 host key fleetbot generated. sshd also
 * gets a private mount namespace with tmpfs over /srv, /etc/systemd/system, /etc/fleetbot-agents and
 * /etc/caddy, so what an install writes there never reaches the host running the tests. Users are
 * the host's own (/etc/passwd is shared): a test removes the agent users it made.
 */
export type LabHost = {
  /** The network namespace: a daemon started in it listens on the host's addresses. */
  ns: string;
  address: string;
  user: string;
  hostKey: HostKeyPair;
  /** The login user's home, on the host's disk (uploads there can be checked with stat). */
  home: string;
  close(): Promise<void>;
};

export type LabHostOptions = {
  /**
   * A Unix socket sshd's mount namespace sees as /var/run/docker.sock, Docker's default socket, so
   * logins there reach that Engine as they would on a host where dockerd runs.
   */
  dockerSocket?: string;
};

export async function startLabHost(
  index: number,
  loginPublicKey: string,
  options: LabHostOptions = {},
): Promise<LabHost> {
  const tag = `${process.pid % 10000}${index}`;
  const ns = `fleetbot-lab-${tag}`;
  const veth = `fbl${tag}`;
  const address = `10.231.${index}.2`;
  const user = `fbl${tag}`;
  const undo = undoList();
  try {
    const tmp = tempDir('fleetbot-lab-sshd-');
    undo.add(tmp.cleanup);
    // sshd reads a user's authorized keys as that user, who must be able to reach them.
    chmodSync(tmp.dir, 0o755);
    must('ip', ['netns', 'add', ns]);
    undo.add(() => void must('ip', ['netns', 'delete', ns]));
    must('ip', ['link', 'add', `${veth}h`, 'type', 'veth', 'peer', 'name', `${veth}n`]);
    undo.add(() => void runTool('ip', ['link', 'delete', `${veth}h`]));
    must('ip', ['link', 'set', `${veth}n`, 'netns', ns]);
    must('ip', ['addr', 'add', `10.231.${index}.1/30`, 'dev', `${veth}h`]);
    must('ip', ['link', 'set', `${veth}h`, 'up']);
    const inNs = (...args: string[]) => must('ip', ['netns', 'exec', ns, ...args]);
    inNs('ip', 'addr', 'add', `${address}/30`, 'dev', `${veth}n`);
    inNs('ip', 'link', 'set', `${veth}n`, 'up');
    inNs('ip', 'link', 'set', 'lo', 'up');

    const home = path.join(tmp.dir, 'home');
    // '*' (not the default '!') keeps the account unlocked for key logins while no password works.
    must('useradd', ['--no-create-home', '--home-dir', home, '--shell', '/bin/sh', '-p', '*', user]);
    undo.add(() => void must('userdel', ['--force', user]));
    mkdirSync(home, { mode: 0o755 });
    must('chown', [`${user}:${user}`, home]);

    const keys = path.join(tmp.dir, 'keys');
    mkdirSync(keys, { mode: 0o755 });
    for (const name of [user, 'root'])
      writeFileSync(path.join(keys, name), `${loginPublicKey}\n`, { mode: 0o644 });
    const hostKey = generateHostKey(`lab ${ns}`);
    const hostKeyFile = path.join(tmp.dir, 'ssh_host_ed25519_key');
    writeFileSync(hostKeyFile, hostKey.privateKey, { mode: 0o600 });
    const config = path.join(tmp.dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `ListenAddress ${address}`,
        'Port 22',
        `HostKey ${hostKeyFile}`,
        `PidFile ${path.join(tmp.dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${keys}/%u`,
        // The key files live under /tmp, which is world-writable, so sshd's ownership walk would refuse them.
        'StrictModes no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'PermitRootLogin prohibit-password',
        `AllowUsers ${user} root`,
        'Subsystem sftp internal-sftp',
        '',
      ].join('\n'),
    );
    if (!existsSync('/run/sshd')) {
      mkdirSync('/run/sshd', { mode: 0o755 });
      undo.add(() => rmSync('/run/sshd', { recursive: true, force: true }));
    }
    const sshd = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'unshare',
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        // The mount points are made (empty) on the host once; what is mounted on them stays in here.
        'mkdir -p /etc/fleetbot-agents /etc/caddy && for d in /srv /etc/systemd/system /etc/fleetbot-agents /etc/caddy; do mount -t tmpfs tmpfs "$d" || exit 1; done && { [ -z "$2" ] || mount --bind "$2" /var/run/docker.sock; } && exec /usr/sbin/sshd -D -e -f "$1"',
        'sh',
        config,
        options.dockerSocket ?? '',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    sshd.stderr.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
    undo.add(() => stopChild(sshd));
    try {
      await waitForSshBanner(address, 22, { clock: systemClock, deadlineMs: 10_000, retryDelayMs: 100 });
    } catch (err) {
      throw new Error(`sshd in ${ns} did not come up: ${String(err)}\n${log}`, { cause: err });
    }
    return { ns, address, user, hostKey, home, close: () => undo.run() };
  } catch (err) {
    await undo.run();
    throw err;
  }
}
