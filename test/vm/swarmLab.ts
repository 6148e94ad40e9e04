import { stringify } from 'yaml';
import { sleep, systemClock } from '../../src/core/runtime/clock.js';
import {
  describeDockerHost,
  defaultDockerSocket,
  type DockerHost,
} from '../../src/providers/docker/dockerHost.js';
import { createEngine, type Engine } from '../../src/providers/docker/engine.js';
import { engineDispatcher } from '../../src/providers/docker/transport.js';
import { generateHostKey, type HostKeyPair } from '../../src/providers/ssh/hostKey.js';
import { createSshPool, type SshPool } from '../../src/providers/ssh/pool.js';
import { waitForSshBanner } from '../../src/providers/ssh/session.js';
import { testImageEtc } from '../support/docker.js';
import { formSwarm } from '../support/swarmForm.js';
import type { EngineSpecCheck } from '../support/engineSpec.js';
import type { LabImage } from './labImage.js';
import { startVmLab, type VmLab } from './lab.js';

/** One VM of the lab Swarm: its address, pinned host key and Engine (over SSH, as fleetbot reaches it). */
export type SwarmNode = {
  name: string;
  ip: string;
  hostKey: HostKeyPair;
  dockerHost: string;
  engine: Engine;
};

export type SwarmLab = {
  lab: VmLab;
  manager: SwarmNode;
  worker: SwarmNode;
  /** known_hosts lines pinning both VMs' keys, for FLEETBOT_SSH_KNOWN_HOSTS. */
  knownHosts: string;
  nodeIds: { manager: string; worker: string };
  /** The image every node holds (imported offline, as no registry is reachable). */
  image: string;
  close(): Promise<void>;
};

/** The test image (src: test/support/docker.ts), made on each VM from its own Node (Debian's nodejs). */
export const vmNodeImage = 'fleetbot-test-node:vm';

/**
 * Imports the test image on a node from the VM's own files (Debian's node loads some of its builtins,
 * such as cjs-module-lexer, from /usr/share/nodejs, so that comes too): sending this host's 100 MB Node over SSH
 * to an emulated machine takes minutes. Test set-up only; fleetbot itself only speaks the Engine API.
 */
async function importNodeImage(
  pool: SshPool,
  privateKey: string,
  node: Pick<SwarmNode, 'name' | 'ip' | 'hostKey'>,
): Promise<void> {
  const script = `set -eu
r=$(mktemp -d)
put() { mkdir -p "$r$(dirname "$2")"; cp -L "$1" "$r$2"; }
put "$(readlink -f /usr/bin/node)" /usr/local/bin/node
put /bin/dash /bin/sh
for l in $(ldd /usr/bin/node /bin/dash | grep -o '/[^ ]*\\.so[^ ]*'); do put "$l" "$l"; done
mkdir -p "$r/usr/share" && cp -rL /usr/share/nodejs "$r/usr/share/nodejs"
mkdir -p "$r/tmp" "$r/home/agent" "$r/etc" "$r/proc" "$r/sys" "$r/dev"
printf '%s' '${testImageEtc.passwd}' > "$r/etc/passwd"
printf '%s' '${testImageEtc.group}' > "$r/etc/group"
# The files are gathered while dockerd starts (about a minute under emulation); the import needs it.
for _ in $(seq 1 600); do docker version >/dev/null 2>&1 && break; sleep 1; done
tar -C "$r" --owner=0 --group=0 -c . | docker import - ${vmNodeImage}
rm -rf "$r"
`;
  const result = await pool.use(
    { host: node.ip, port: 22, username: 'root', hostKey: node.hostKey.publicKey },
    { privateKey },
    (ssh) => ssh.exec('sh -s', { input: script, timeoutMs: 600_000 }),
    { deadlineMs: 30_000 },
  );
  if (result.code !== 0) throw new Error(`importing the test image on ${node.name} failed: ${result.stderr}`);
}

/**
 * Two Debian 12 VMs of the VM lab with Debian's docker.io, made a Swarm of one manager and one worker
 * over the lab bridge; fleetbot's login key is root's on both, and their SSH host keys are pinned.
 */
export async function startSwarmLab(opts: {
  image: LabImage;
  loginPublicKey: string;
  loginPrivateKey: string;
  spec: EngineSpecCheck;
  log: (line: string) => void;
  /** The lab DNS's answer for a name, for the sites Caddy serves on a node. */
  lookup?: (name: string) => string | undefined;
}): Promise<SwarmLab> {
  const lab = await startVmLab(opts.image, opts.lookup ?? (() => undefined));
  const pool = createSshPool({ clock: systemClock, idleMs: 120_000 });
  const engines: Engine[] = [];
  const close = async () => {
    for (const e of engines) await e.close().catch(() => undefined);
    pool.close();
    await lab.close();
  };
  try {
    lab.vms.addImage(1, opts.image.disk);
    const boot = async (id: number, name: string): Promise<SwarmNode> => {
      const hostKey = generateHostKey(`swarm lab ${name}`);
      const userData = `#cloud-config\n${stringify({
        hostname: name,
        ssh_deletekeys: true,
        ssh_genkeytypes: ['ed25519'],
        ssh_keys: { ed25519_private: hostKey.privateKey, ed25519_public: hostKey.publicKey },
        disable_root: false,
        ssh_pwauth: false,
        ssh_authorized_keys: [opts.loginPublicKey],
        // Early, so dockerd starts while cloud-init's later stages still run. Swarm's executor pulls a
        // task's image before each start even when the node holds it; with no registry reachable that
        // pull waits out a TCP timeout, so the nodes prefer the images they hold, as an offline site would.
        bootcmd: [
          'mkdir -p /etc/systemd/system/docker.service.d',
          `printf '[Service]\\nEnvironment=DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1\\n' > /etc/systemd/system/docker.service.d/offline.conf`,
          'systemctl daemon-reload',
          ['systemctl', 'start', '--no-block', 'docker.service'],
        ],
      })}`;
      const ip = await lab.vms.boot({ id, name, imageId: 1, userData });
      const target: DockerHost = {
        kind: 'ssh',
        user: 'root',
        host: ip,
        port: 22,
        socketPath: defaultDockerSocket,
      };
      const engine = createEngine({
        dispatcher: opts.spec.dispatcher(
          engineDispatcher(target, {
            pool,
            auth: { privateKey: opts.loginPrivateKey },
            hostKey: hostKey.publicKey,
          }),
        ),
        where: describeDockerHost(target),
      });
      engines.push(engine);
      // Two VMs boot at once under emulation: 65-76 s each on an idle host, minutes on a busy one.
      await waitForSshBanner(ip, 22, { clock: systemClock, deadlineMs: 600_000, retryDelayMs: 2_000 }).catch(
        (err: unknown) => {
          throw new Error(`${name} never answered SSH: ${String(err)}\n${lab.vms.console(id)}`, {
            cause: err,
          });
        },
      );
      opts.log(`${name} (${ip}) answers SSH`);
      const imported = importNodeImage(pool, opts.loginPrivateKey, { name, ip, hostKey });
      // Awaited below, after dockerd answers; a failed boot must not leave its rejection unheard.
      imported.catch(() => undefined);
      const deadline = Date.now() + 600_000;
      for (;;) {
        try {
          await engine.send('GET', '/_ping', { what: 'waiting for dockerd', timeoutMs: 10_000 });
          break;
        } catch (err) {
          if (Date.now() > deadline)
            throw new Error(`dockerd on ${name} did not start: ${String(err)}\n${lab.vms.console(id)}`, {
              cause: err,
            });
          await sleep(systemClock, 2_000);
        }
      }
      opts.log(`${name}: dockerd answers`);
      await imported;
      opts.log(`${name} holds ${vmNodeImage}`);
      return { name, ip, hostKey, dockerHost: `ssh://root@${ip}`, engine };
    };
    const [manager, worker] = await Promise.all([boot(1, 'swarm-1'), boot(2, 'swarm-2')]);

    const nodeIds = await formSwarm(
      { engine: manager.engine, address: manager.ip },
      { engine: worker.engine, address: worker.ip },
      // The VMs go away with the lab: nothing to leave.
      { deadlineMs: 300_000, joined: () => undefined },
    );
    opts.log('swarm of two nodes ready');
    const knownHosts = [manager, worker].map((n) => `${n.ip} ${n.hostKey.publicKey}\n`).join('');
    return { lab, manager, worker, nodeIds, knownHosts, image: vmNodeImage, close };
  } catch (err) {
    await close();
    throw err;
  }
}
