import { randomBytes } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { z } from 'zod';
import type { AgentProcess } from '../../core/fleet/provider.js';
import { outputTail, stderrTailLimits } from '../outputTail.js';
import { containerPaths, launcher } from './agentContainer.js';
import type { Engine } from './engine.js';
import { frameReader } from './frames.js';
import { created } from './objects.js';

/** The largest frame an agent's stream may send at once; the Engine sends output as it comes, in small ones. */
const maxFrameBytes = 4 * 1024 * 1024;
const execInspect = z.object({ Running: z.boolean(), ExitCode: z.number().int().nullable() });

/** Creates an exec in the container and returns its id. */
const createExec = (engine: Engine, container: string, body: Record<string, unknown>, what: string) =>
  engine.json('POST', `/containers/${encodeURIComponent(container)}/exec`, created, { what, body });

/**
 * A conversation's process: `argv` run by `docker exec` in the agent's container as its user, in its
 * workspace, its secrets exported by the launcher, with stdin and stdout attached through the
 * Engine's hijacked connection. The Engine has no way to signal an exec, so `kill` runs a second exec
 * that kills the pid the launcher wrote down.
 */
export async function execProcess(
  engine: Engine,
  container: string,
  opts: { user: string; argv: string[] },
): Promise<AgentProcess> {
  const pidFile = `/tmp/fleetbot-${randomBytes(8).toString('hex')}.pid`;
  const exec = await createExec(
    engine,
    container,
    {
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      User: opts.user,
      WorkingDir: containerPaths.workspace,
      Cmd: launcher(opts.argv, pidFile),
    },
    `starting a conversation in ${container}`,
  );
  const socket = await engine.hijack(`/exec/${exec.Id}/start`, {
    what: `attaching to a conversation in ${container}`,
    body: { Detach: false, Tty: false },
  });
  const stdout = new PassThrough();
  const stderr = outputTail(stderrTailLimits);
  const read = frameReader(maxFrameBytes);
  let killed = false;
  socket.on('data', (chunk: Buffer) => {
    try {
      for (const frame of read(chunk))
        if (frame.stream === 'stdout') stdout.write(frame.payload);
        else stderr.push(frame.payload);
    } catch (err) {
      socket.destroy(err as Error);
    }
  });
  const ended = new Promise<string>((resolve) => {
    socket.once('close', () => {
      stdout.end();
      if (killed) return resolve('killed');
      engine
        .json('GET', `/exec/${exec.Id}/json`, execInspect, {
          what: `reading how a conversation in ${container} ended`,
        })
        .then(
          (e) => resolve(e.ExitCode === null ? 'ended' : `exited with code ${e.ExitCode}`),
          () => resolve('its connection closed'),
        );
    });
  });
  socket.on('error', () => undefined);
  const stdin = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      if (socket.destroyed) return done();
      socket.write(chunk, () => done());
    },
    final: (done) => {
      socket.end();
      done();
    },
  });
  return {
    cwd: containerPaths.workspace,
    stdin,
    stdout,
    stderrTail: () => stderr.text(),
    ended,
    kill() {
      if (killed) return;
      killed = true;
      void createExec(
        engine,
        container,
        {
          User: opts.user,
          Cmd: ['/bin/sh', '-c', `read p < ${pidFile} && kill -KILL "$p"; rm -f ${pidFile}`],
        },
        `ending a conversation in ${container}`,
      )
        .then((k) =>
          engine.send('POST', `/exec/${k.Id}/start`, {
            what: 'ending a conversation',
            body: { Detach: true, Tty: false },
          }),
        )
        .catch(() => undefined)
        .finally(() => socket.destroy());
    },
  };
}
