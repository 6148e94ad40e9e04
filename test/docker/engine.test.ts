import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEngine, EngineError, EngineUnreachableError } from '../../src/providers/docker/engine.js';
import { frameReader } from '../../src/providers/docker/frames.js';
import { inspectContainer, removeContainer } from '../../src/providers/docker/objects.js';
import { engineDispatcher } from '../../src/providers/docker/transport.js';
import { dockerUnavailable, testEngine, testNodeImage, type TestEngine } from '../support/docker.js';

// The Engine client against the real dockerd: JSON answers checked, refusals in the Engine's own words,
// an attached exec's multiplexed stream, and the Engine API document's check on every request (which
// must itself catch a misspelt field, or it proves nothing).

const skip = dockerUnavailable();
const created = z.object({ Id: z.string() });

describe.skipIf(skip)('the Docker Engine client', () => {
  let t: TestEngine;
  let image: string;
  const containers: string[] = [];

  beforeAll(async () => {
    t = testEngine();
    image = await testNodeImage(t.engine);
  });

  afterAll(async () => {
    for (const id of containers)
      await t.engine
        .send('DELETE', `/containers/${id}`, { what: 'cleaning up', query: { force: true } })
        .catch(() => undefined);
    await t.engine.close();
  });

  /** A started container of the test image, removed after the file. */
  const running = async (body: Record<string, unknown>): Promise<string> => {
    const { Id } = await t.engine.json('POST', '/containers/create', created, {
      what: 'creating a container',
      body: { Image: image, ...body },
    });
    containers.push(Id);
    await t.engine.send('POST', `/containers/${Id}/start`, { what: 'starting it' });
    return Id;
  };

  it('says what it was doing and what the Engine answered when it refuses', async () => {
    const err = await t.engine
      .json('GET', '/containers/fleetbot-no-such-thing/json', created, {
        what: 'looking up fleetbot-no-such-thing',
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).status).toBe(404);
    expect((err as Error).message).toMatch(
      /^the Docker socket .* refused looking up fleetbot-no-such-thing: No such container: fleetbot-no-such-thing$/,
    );
  });

  it('says where dockerd did not answer and what to check', async () => {
    const engine = createEngine({
      dispatcher: engineDispatcher({ kind: 'unix', socketPath: '/nonexistent/docker.sock' }),
      where: 'the Docker socket /nonexistent/docker.sock',
    });
    const err = await engine.send('GET', '/_ping', { what: 'checking it is there' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineUnreachableError);
    expect((err as Error).message).toBe(
      'the Docker socket /nonexistent/docker.sock did not answer while checking it is there (ENOENT). Check that dockerd is running there (systemctl status docker) and that fleetbot may use its socket.',
    );
    await engine.close();
  });

  it('streams an attached exec both ways through the multiplexed frames', async () => {
    const Id = await running({
      Cmd: ['node', '-e', 'setInterval(() => {}, 1000)'],
      User: '10001:10001',
      HostConfig: { CapDrop: ['ALL'] },
    });
    const exec = await t.engine.json('POST', `/containers/${Id}/exec`, created, {
      what: 'creating an exec',
      body: {
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Cmd: [
          'node',
          '-e',
          'process.stdin.on("data", (d) => { process.stdout.write(String(d).toUpperCase()); console.error("uid " + process.getuid()); })',
        ],
      },
    });
    const stream = await t.engine.hijack(`/exec/${exec.Id}/start`, {
      what: 'starting the exec',
      body: { Detach: false, Tty: false },
    });
    const read = frameReader(1024 * 1024);
    const seen = { stdout: '', stderr: '' };
    const both = new Promise<void>((resolve) =>
      stream.on('data', (chunk: Buffer) => {
        for (const f of read(chunk)) seen[f.stream] += f.payload.toString();
        if (seen.stdout === 'HELLO' && seen.stderr.includes('uid')) resolve();
      }),
    );
    stream.write('hello');
    await both;
    stream.destroy();
    expect(seen).toEqual({ stdout: 'HELLO', stderr: 'uid 10001\n' });
  });

  it('removes a container whose removal is already under way by waiting for it, not failing', async () => {
    // SIGTERM is ignored, so the forced removal has a kill to wait for.
    const Id = await running({
      Cmd: ['node', '-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'],
    });
    const removals = await Promise.allSettled([1, 2, 3].map(() => removeContainer(t.engine, Id)));
    expect(removals.map((r) => (r.status === 'rejected' ? String(r.reason) : r.status))).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    expect(await inspectContainer(t.engine, Id)).toBeUndefined();
  });

  it('checked every request against the Engine API document, and that check catches a misspelt field', async () => {
    expect(t.spec.checked).toBeGreaterThanOrEqual(6);
    expect(t.spec.violations).toEqual([]);
    const { Id } = await t.engine.json('POST', '/containers/create', created, {
      what: 'creating a container with a typo',
      body: { Image: image, Cmd: ['true'], HostConfig: { CapDorp: ['ALL'] } },
    });
    containers.push(Id);
    expect(t.spec.violations).toEqual([expect.stringMatching(/^POST \/containers\/create: .*CapDorp/)]);
    t.spec.violations.length = 0;
  });
});

describe('the Engine stream frames', () => {
  it('joins frames split across chunks and refuses one over the cap', () => {
    const frame = (kind: number, text: string) => {
      const header = Buffer.alloc(8);
      header[0] = kind;
      header.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([header, Buffer.from(text)]);
    };
    const all = Buffer.concat([frame(1, 'out'), frame(2, 'err'), frame(1, 'more')]);
    const read = frameReader(16);
    const got = [...read(all.subarray(0, 5)), ...read(all.subarray(5, 20)), ...read(all.subarray(20))];
    expect(got.map((f) => [f.stream, f.payload.toString()])).toEqual([
      ['stdout', 'out'],
      ['stderr', 'err'],
      ['stdout', 'more'],
    ]);
    expect(() => frameReader(16)(frame(1, 'x'.repeat(17)))).toThrow(
      'a stream frame of 17 bytes is over the 16-byte cap',
    );
  });
});
