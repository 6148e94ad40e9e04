import { spawn } from 'node:child_process';
import { createEngine, type Engine } from '../../src/providers/docker/engine.js';
import { engineDispatcher } from '../../src/providers/docker/transport.js';
import { runTool } from '../lab/tools.js';
import type { EngineSpecCheck } from './engineSpec.js';
import { tempDir } from './env.js';
import { stopChild, type UndoList } from './teardown.js';

/** Polls `ok` every 200 ms until it holds; a throw counts as not yet. */
export const until = async (what: string, ok: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await ok().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

/**
 * A second dockerd, in the network namespace `ns` (made by the caller), with data and exec roots and
 * a socket of its own (under a temporary folder unless `socket` names one), so it shares nothing with
 * the host's dockerd. Its Engine is checked by `spec`. Stopping it and removing its folder go on `undo`.
 */
export async function startNamespacedDockerd(opts: {
  ns: string;
  /** How messages name it ("the worker"). */
  what: string;
  spec: EngineSpecCheck;
  undo: UndoList;
  socket?: string;
}): Promise<{ socket: string; engine: Engine }> {
  const { ns, what, spec, undo } = opts;
  const tmp = tempDir('fleetbot-dockerd-');
  const socket = opts.socket ?? `${tmp.dir}/docker.sock`;
  // nsenter, not `ip netns exec`: that one remounts /sys, which would hide the cgroups from dockerd.
  const dockerd = spawn(
    'nsenter',
    [
      `--net=/var/run/netns/${ns}`,
      'dockerd',
      '--data-root',
      `${tmp.dir}/data`,
      '--exec-root',
      `${tmp.dir}/exec`,
      '-H',
      `unix://${socket}`,
      '--pidfile',
      `${tmp.dir}/pid`,
    ],
    { stdio: 'ignore' },
  );
  undo.add(() => void runTool('rm', ['-rf', tmp.dir]));
  undo.add(() => stopChild(dockerd));
  const engine = createEngine({
    dispatcher: spec.dispatcher(engineDispatcher({ kind: 'unix', socketPath: socket })),
    where: `${what}'s Docker socket ${socket}`,
  });
  undo.add(() => engine.close());
  await until(`${what}'s dockerd answers`, async () => {
    await engine.send('GET', '/_ping', { what: `pinging ${what}`, timeoutMs: 2_000 });
    return true;
  });
  return { socket, engine };
}
