import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { systemClock } from '../../src/core/runtime/clock.js';
import type { Provider } from '../../src/core/fleet/provider.js';
import { createEngine, isNotFound, type Engine } from '../../src/providers/docker/engine.js';
import { createDockerProvider } from '../../src/providers/docker/index.js';
import { localReach, type PortReach } from '../../src/providers/docker/reach.js';
import { defaultSubnetPool, subnetPicker } from '../../src/providers/docker/subnets.js';
import { engineDispatcher } from '../../src/providers/docker/transport.js';
import { defaultDockerSocket } from '../../src/providers/docker/dockerHost.js';
import { engineSpecCheck, type EngineSpecCheck } from './engineSpec.js';
import { tempDir } from './env.js';

/**
 * The real Docker Engine the docker suite runs against: dockerd on this host (`.ci/run` starts it),
 * at DOCKER_HOST's socket or Docker's default one. Every request goes through the Engine API
 * document's check.
 */
export const testDockerSocket = process.env['DOCKER_HOST']?.replace(/^unix:\/\//, '') ?? defaultDockerSocket;

/** Why the docker suite cannot run here, or undefined when dockerd answers. */
export function dockerUnavailable(): string | undefined {
  if (process.getuid?.() !== 0)
    return 'the docker suite needs root (dockerd, its socket); run `sudo npm run test:docker`';
  const r = spawnSync(
    'docker',
    ['-H', `unix://${testDockerSocket}`, 'version', '--format', '{{.Server.Version}}'],
    {
      encoding: 'utf8',
      timeout: 10_000,
    },
  );
  if (r.status !== 0)
    return `no Docker Engine answers at ${testDockerSocket} (${(r.stderr ?? '').trim().split('\n')[0]}): apt-get install docker.io and start dockerd (.ci/run does both)`;
  return undefined;
}

export type TestEngine = { engine: Engine; spec: EngineSpecCheck };

export function testEngine(): TestEngine {
  const spec = engineSpecCheck();
  const engine = createEngine({
    dispatcher: spec.dispatcher(engineDispatcher({ kind: 'unix', socketPath: testDockerSocket })),
    where: `the Docker socket ${testDockerSocket}`,
  });
  return { engine, spec };
}

/** The uid the test image's agent user has; the provider runs agents as a non-root user of the image. */
export const testImageUser = { name: 'agent', uid: 10001 };

/** The test image's /etc/passwd and /etc/group: root, the agent user and nobody. */
export const testImageEtc = {
  passwd: `root:x:0:0:root:/root:/bin/sh\n${testImageUser.name}:x:${testImageUser.uid}:${testImageUser.uid}::/home/agent:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/sh\n`,
  group: `root:x:0:\n${testImageUser.name}:x:${testImageUser.uid}:\nnogroup:x:65534:\n`,
};

/**
 * A small image with Node (this host's binary and the libraries it links), a POSIX shell (dash as
 * /bin/sh) and an unprivileged user, made offline by importing a root filesystem tar, as no registry
 * is reachable here. Named by the Node version, so it is built once per dockerd.
 */
export async function testNodeImage(engine: Engine): Promise<string> {
  const tag = `fleetbot-test-node:${process.versions.node}`;
  try {
    await engine.json('GET', `/images/${encodeURIComponent(tag)}/json`, z.object({ Id: z.string() }), {
      what: `looking up ${tag}`,
    });
    return tag;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const tmp = tempDir('fleetbot-test-image-');
  try {
    const root = tmp.dir;
    const put = (from: string, to = from): void => {
      mkdirSync(path.join(root, path.dirname(to)), { recursive: true });
      copyFileSync(realpathSync(from), path.join(root, to));
    };
    const node = realpathSync(process.execPath);
    put(node, '/usr/local/bin/node');
    put('/bin/dash', '/bin/sh');
    const libraries = execFileSync('ldd', [node, '/bin/dash'], { encoding: 'utf8' });
    for (const lib of new Set(libraries.match(/\/\S+\.so[.\d]*/g) ?? [])) put(lib);
    for (const dir of ['tmp', 'home/agent', 'etc', 'proc', 'sys', 'dev'])
      mkdirSync(path.join(root, dir), { recursive: true });
    writeFileSync(path.join(root, 'etc/passwd'), testImageEtc.passwd);
    writeFileSync(path.join(root, 'etc/group'), testImageEtc.group);
    const tar = execFileSync('tar', ['-C', root, '--owner=0', '--group=0', '-c', '.'], {
      maxBuffer: 512 * 1024 * 1024,
    });
    const [repo, version] = tag.split(':') as [string, string];
    await engine.send('POST', '/images/create', {
      what: `importing ${tag}`,
      query: { fromSrc: '-', repo, tag: version },
      raw: { body: tar, contentType: 'application/x-tar' },
      timeoutMs: 120_000,
    });
    return tag;
  } finally {
    tmp.cleanup();
  }
}

/** The docker CLI on the Engine at `socket`, for a test's own inspection and clean-up (fleetbot speaks only the API). */
export const dockerCliAt =
  (socket: string) =>
  (...args: string[]): string =>
    execFileSync('docker', ['-H', `unix://${socket}`, ...args], { encoding: 'utf8' });

/** The docker CLI on the test Engine. */
export const dockerCli = dockerCliAt(testDockerSocket);

/**
 * The docker provider on the test Engine, built as its module builds it for a local socket, with a
 * deadline for health that a loaded test machine meets.
 */
export function testDockerProvider(opts: {
  engine: Engine;
  /** FLEETBOT_DOCKER_IMAGE's part: the image of roles that name none and have no build. */
  image: string | undefined;
  instance: string;
  reach?: PortReach;
  healthDeadlineMs?: number;
}): Provider {
  return createDockerProvider({
    subnets: subnetPicker(defaultSubnetPool),
    engine: opts.engine,
    reach: opts.reach ?? localReach(),
    instance: opts.instance,
    defaultImage: opts.image,
    clock: systemClock,
    healthDeadlineMs: opts.healthDeadlineMs ?? 20_000,
    pollMs: 200,
  });
}
