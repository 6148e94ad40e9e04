import { spawn, type StdioOptions } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { constants } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { z } from 'zod';
import type { AgentChannels, AgentProcess } from '../../core/fleet/provider.js';
import { UserError } from '../../core/runtime/errors.js';
import { outputTail, stderrTailLimits } from '../outputTail.js';
import { innerPid, processesWithEnv } from './process.js';
import { sandboxInfoFd } from './sandbox.js';

/** How long a connection to the agent's own port may take on loopback, a busy host included. */
const connectTimeoutMs = 10_000;

/** How long the end of a conversation's stderr may take to arrive after it exited, on a busy host too. */
const stderrDrainMs = 5_000;

const portSchema = z.number().int().min(1).max(65_535);

export type LocalAgentWalls = {
  name: string;
  dir: string;
  /** The agent's environment with its secrets, as its own process gets it (never fleetbot's). */
  env(): Promise<Record<string, string>>;
  /** The command line that runs argv inside the agent's walls: its sandbox, or plain where that is allowed. */
  launch(argv: string[]): string[];
  sandboxed: boolean;
  /** The role's port, and the free one the agent was given instead. */
  ports: { role: number | undefined; own: number | undefined };
};

/**
 * bwrap reports a command that a signal ended as exiting with 128 + the signal's number, as a shell
 * does; a person reads the signal.
 */
function sandboxExit(code: number | null): string {
  const signal = Object.entries(constants.signals).find(([, n]) => code !== null && code === 128 + n)?.[0];
  return signal ? `killed by ${signal}` : `exited with code ${code}`;
}

const signalQuietly = (pid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
};

/**
 * A conversation's process runs where the agent runs: in its folder, in a sandbox of its own with the
 * same walls as the agent's (or unsandboxed where the agent is), with the agent's env and secrets and
 * a HOME of its own in the agent's folder, where real agents keep their settings and sessions.
 */
export function localChannels(walls: LocalAgentWalls): AgentChannels {
  return {
    async spawn(argv) {
      const [program, ...args] = walls.launch(argv);
      if (!program) throw new UserError(`${walls.name}'s role has an empty chat command.`);
      const home = path.join(walls.dir, 'home');
      await mkdir(home, { recursive: true, mode: 0o700 });
      // Found again by this marker when it left the process group (setsid), as the agent is by its folder's.
      const conversation = randomUUID();
      const stdio: StdioOptions = ['pipe', 'pipe', 'pipe'];
      if (walls.sandboxed) stdio[sandboxInfoFd] = 'pipe';
      // Its own process group, so that one signal reaches everything it started that stayed in it.
      const child = spawn(program, args, {
        cwd: walls.dir,
        env: { ...(await walls.env()), HOME: home, FLEETBOT_CONVERSATION: conversation },
        detached: true,
        stdio,
      });
      const tail = outputTail(stderrTailLimits);
      child.stderr!.on('data', (chunk: Buffer) => tail.push(chunk));
      // How it ended is told by `ended`: a write to a process that has gone must not end fleetbot.
      child.stdin!.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.on('error', (err) =>
          reject(new UserError(`Could not start ${argv[0]} for ${walls.name}: ${err.message}.`)),
        );
      });
      const group = child.pid!;
      // The sandbox's init: a SIGKILL to it ends everything in the sandbox's pid namespace.
      const init = walls.sandboxed ? await innerPid(child.stdio[sandboxInfoFd] as Socket) : undefined;
      let killed = false;
      const endAll = (): void => {
        if (init !== undefined) signalQuietly(init, 'SIGKILL');
        signalQuietly(-group, 'SIGKILL');
        for (const pid of processesWithEnv(`FLEETBOT_CONVERSATION=${conversation}`))
          signalQuietly(pid, 'SIGKILL');
      };
      const exitReason = (code: number | null): string =>
        walls.sandboxed ? sandboxExit(code) : `exited with code ${code}`;
      const ended = new Promise<string>((resolve) => {
        const exited = (code: number | null, signal: NodeJS.Signals | null): void => {
          // bwrap returns once the command ends, while its init waits on whatever the command left
          // running: a conversation's process leaves nothing behind.
          endAll();
          const why = killed ? 'killed by SIGKILL' : signal ? `killed by ${signal}` : exitReason(code);
          // What it wrote last may still be in the pipe: the tail is read to its end (everything that
          // held it is gone now), or for at most a few seconds, before anyone asks for it.
          if (child.stderr!.closed) {
            resolve(why);
            return;
          }
          const drained = setTimeout(() => resolve(why), stderrDrainMs);
          child.stderr!.once('close', () => {
            clearTimeout(drained);
            resolve(why);
          });
        };
        if (child.exitCode !== null || child.signalCode !== null) exited(child.exitCode, child.signalCode);
        else child.once('exit', exited);
      });
      const agentProcess: AgentProcess = {
        cwd: walls.dir,
        stdin: child.stdin as Writable,
        stdout: child.stdout as Readable,
        stderrTail: () => tail.text(),
        ended,
        kill() {
          killed = true;
          endAll();
        },
      };
      return agentProcess;
    },

    connect(port) {
      const checked = portSchema.parse(port === walls.ports.role ? (walls.ports.own ?? port) : port);
      return new Promise((resolve, reject) => {
        const socket = createConnection({ host: '127.0.0.1', port: checked });
        const fail = (why: string): void => {
          socket.destroy();
          reject(
            new UserError(`Nothing answered on ${walls.name}'s port ${checked} (${why}); is it running?`),
          );
        };
        socket.setTimeout(connectTimeoutMs, () => fail(`no answer within ${connectTimeoutMs / 1000} s`));
        socket.once('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
        socket.once('connect', () => {
          socket.setTimeout(0);
          socket.removeAllListeners('error');
          resolve(socket);
        });
      });
    },
  };
}
