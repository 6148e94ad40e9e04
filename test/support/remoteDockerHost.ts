import { chmodSync } from 'node:fs';
import path from 'node:path';
import type { HostKeyPair } from '../../src/providers/ssh/hostKey.js';
import { startLabHost } from '../lab/labHost.js';
import { serveCheckedEngineSocket } from './checkedEngineSocket.js';
import { testNodeImage } from './docker.js';
import { engineSpecCheck, type EngineSpecCheck } from './engineSpec.js';
import { tempDir } from './env.js';
import { startNamespacedDockerd } from './namespacedDockerd.js';
import { undoList } from './teardown.js';

/**
 * A remote Docker host without a VM: the lab's sshd in a network namespace (its own address, a host
 * key fleetbot generated, root login by key) and a dockerd of its own in the same namespace, so ports
 * it publishes on 127.0.0.1 are the namespace's loopback, which this host cannot reach. sshd's mount
 * namespace sees the Engine at Docker's default /var/run/docker.sock, as on a real host; that socket
 * checks every request arriving over SSH against the API document before dockerd gets it. The test
 * node image is imported into its dockerd.
 */
export type RemoteDockerHost = {
  address: string;
  hostKey: HostKeyPair;
  /** This dockerd's own socket, for the docker CLI's inspections (not through SSH). */
  socket: string;
  image: string;
  spec: EngineSpecCheck;
  /** Every request that reached /var/run/docker.sock over SSH, as `METHOD path`. */
  requestsOverSsh: readonly string[];
  close(): Promise<void>;
};

export async function startRemoteDockerHost(
  index: number,
  loginPublicKey: string,
): Promise<RemoteDockerHost> {
  const undo = undoList();
  try {
    const spec = engineSpecCheck();
    const tmp = tempDir('fleetbot-remote-docker-');
    undo.add(tmp.cleanup);
    // sshd opens the socket as root; the folder only needs to be reachable.
    chmodSync(tmp.dir, 0o755);
    // sshd's /var/run/docker.sock is bound to the checked socket as sshd starts, so that one comes
    // first; it dials dockerd (started next, in sshd's network namespace) per request.
    const engineSocket = path.join(tmp.dir, 'dockerd.sock');
    const checked = await serveCheckedEngineSocket({
      path: path.join(tmp.dir, 'docker.sock'),
      engineSocket,
      spec,
    });
    undo.add(() => checked.close());
    const host = await startLabHost(index, loginPublicKey, { dockerSocket: checked.path });
    undo.add(() => host.close());
    const dockerd = await startNamespacedDockerd({
      ns: host.ns,
      what: 'the remote Docker host',
      spec,
      undo,
      socket: engineSocket,
    });
    const image = await testNodeImage(dockerd.engine);
    return {
      address: host.address,
      hostKey: host.hostKey,
      socket: dockerd.socket,
      image,
      spec,
      requestsOverSsh: checked.received,
      close: () => undo.run(),
    };
  } catch (err) {
    await undo.run();
    throw err;
  }
}
