import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { systemClock } from '../../src/core/runtime/clock.js';
import { describeDockerHost, type DockerHost } from '../../src/providers/docker/dockerHost.js';
import { createEngine, type Engine } from '../../src/providers/docker/engine.js';
import { frameReader } from '../../src/providers/docker/frames.js';
import { engineDispatcher } from '../../src/providers/docker/transport.js';
import { generateHostKey } from '../../src/providers/ssh/hostKey.js';
import { createSshPool } from '../../src/providers/ssh/pool.js';
import { startLabHost, type LabHost } from '../lab/labHost.js';
import { labUnavailable } from '../lab/tools.js';
import { dockerUnavailable, testNodeImage, testDockerSocket } from '../support/docker.js';
import { engineSpecCheck } from '../support/engineSpec.js';

// DOCKER_HOST=ssh://user@host: the Engine API through fleetbot's kept SSH connection (OpenSSH's
// streamlocal channel to the host's docker.sock), to a real sshd in a network namespace whose host
// shares this machine's dockerd. The host key is pinned; a user without access to the socket is told
// so in words that say what to do.

const skip = dockerUnavailable() ?? labUnavailable(['ip', 'unshare', 'useradd', 'userdel', '/usr/sbin/sshd']);
const login = generateHostKey('fleetbot docker-over-ssh login');
const pool = createSshPool({ clock: systemClock, idleMs: 60_000 });
const spec = engineSpecCheck();
const version = z.object({ Version: z.string(), ApiVersion: z.string() });
const created = z.object({ Id: z.string() });

describe.skipIf(skip)('the Docker Engine over SSH', () => {
  let host: LabHost;
  const engines: Engine[] = [];
  const overSsh = (user: string, hostKey: string): Engine => {
    const target: DockerHost = {
      kind: 'ssh',
      user,
      host: host.address,
      port: 22,
      socketPath: testDockerSocket,
    };
    const engine = createEngine({
      dispatcher: spec.dispatcher(
        engineDispatcher(target, { pool, auth: { privateKey: login.privateKey }, hostKey }),
      ),
      where: describeDockerHost(target),
    });
    engines.push(engine);
    return engine;
  };

  beforeAll(async () => {
    host = await startLabHost(9, login.publicKey);
  });
  afterAll(async () => {
    for (const e of engines) await e.close();
    pool.close();
    await host?.close();
  });

  it('answers calls, parallel ones too, and streams an attached exec through the pinned connection', async () => {
    const engine = overSsh('root', host.hostKey.publicKey);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        engine.json('GET', '/version', version, { what: 'asking its version' }),
      ),
    );
    expect(new Set(answers.map((a) => a.ApiVersion)).size).toBe(1);
    expect(Number(answers[0]!.ApiVersion)).toBeGreaterThanOrEqual(1.41);

    const image = await testNodeImage(engine);
    const { Id } = await engine.json('POST', '/containers/create', created, {
      what: 'creating a container',
      query: { name: 'fleetbot-test-ssh-transport' },
      body: { Image: image, Cmd: ['node', '-e', 'setInterval(() => {}, 1000)'], User: '10001:10001' },
    });
    try {
      await engine.send('POST', `/containers/${Id}/start`, { what: 'starting it' });
      const exec = await engine.json('POST', `/containers/${Id}/exec`, created, {
        what: 'creating an exec',
        body: {
          AttachStdout: true,
          AttachStderr: true,
          Cmd: ['node', '-e', 'console.log("over ssh", process.getuid())'],
        },
      });
      const stream = await engine.hijack(`/exec/${exec.Id}/start`, {
        what: 'starting the exec',
        body: { Detach: false, Tty: false },
      });
      const read = frameReader(1 << 20);
      let out = '';
      for await (const chunk of stream) for (const f of read(chunk as Buffer)) out += f.payload.toString();
      expect(out).toBe('over ssh 10001\n');
    } finally {
      await engine.send('DELETE', `/containers/${Id}`, { what: 'removing it', query: { force: true } });
    }
    expect(spec.violations).toEqual([]);
  });

  it('refuses a host whose key is not the pinned one', async () => {
    const engine = overSsh('root', generateHostKey('someone else').publicKey);
    await expect(engine.json('GET', '/version', version, { what: 'asking its version' })).rejects.toThrow(
      /host key/i,
    );
  });

  it('tells a login without access to the socket what went wrong', async () => {
    const engine = overSsh(host.user, host.hostKey.publicKey);
    const err = await engine
      .json('GET', '/version', version, { what: 'asking its version' })
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^Docker on ${host.user}@${host.address.replaceAll('.', '\\.')} did not answer while asking its version \\(a channel to ${testDockerSocket} was refused by the machine: .*\\)\\. Check that dockerd is running there`,
      ),
    );
  });
});
