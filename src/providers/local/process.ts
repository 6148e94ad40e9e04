import { spawn, type StdioOptions } from 'node:child_process';
import type { Socket } from 'node:net';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { sleep, type Clock } from '../../core/runtime/clock.js';

/** Exit codes of the children this process started, so a deploy notices a crash at once. */
const exits = new Map<number, string>();
/** How the agent's command in a sandbox ended, by the sandbox init's pid (bwrap reports it). */
const commandExits = new Map<number, string>();

/**
 * Starts the agent (or the sandbox that runs it) in its own process group with a clean environment
 * (never fleetbot's, which holds tokens), stdout and stderr appended to its log file; it keeps
 * running if fleetbot stops, and is found again by the folder marker in its environment.
 *
 * With `infoFd` (bwrap's --info-fd) the pid returned is the sandbox's init as this host sees it, not
 * bwrap's: a SIGKILL to that init ends everything in the sandbox, one to bwrap would leave it running.
 */
export async function spawnAgent(
  argv: string[],
  opts: { cwd: string; env: Record<string, string>; logFile: string; infoFd?: number },
): Promise<number> {
  const [command, ...args] = argv;
  if (!command) throw new Error('the role has an empty command');
  const fd = openSync(opts.logFile, 'a', 0o600);
  try {
    const stdio: StdioOptions = ['ignore', fd, fd];
    if (opts.infoFd !== undefined) stdio[opts.infoFd] = 'pipe';
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    const started = child.pid;
    // The sandbox's init, once bwrap has said which it is.
    const inner: { pid?: number } = {};
    child.on('error', (err) => exits.set(started, `could not start: ${err.message}`));
    child.on('exit', (code, signal) => {
      exits.set(started, signal ? `killed by ${signal}` : `exited with code ${code}`);
      // bwrap exits with the agent's own status once the agent's command ends; its init may still
      // wait for children the agent left, so that init is ended only by its own death or stopAgent.
      if (inner.pid !== undefined && signal === null) commandExits.set(inner.pid, exits.get(started)!);
    });
    child.unref();
    if (opts.infoFd === undefined) return started;
    inner.pid = await innerPid(child.stdio[opts.infoFd] as Socket);
    const ended = exits.get(started);
    if (inner.pid !== undefined && ended?.startsWith('exited')) commandExits.set(inner.pid, ended);
    return inner.pid ?? started;
  } finally {
    closeSync(fd);
  }
}

/**
 * The `child-pid` bwrap writes to its info fd; undefined if it ends (or takes 10 s) without one. The
 * pipe is read to its end, never closed early: bwrap writes more after the pid, and a write to a
 * closed pipe kills it with SIGPIPE.
 */
export function innerPid(info: Socket): Promise<number | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const done = (pid: number | undefined): void => {
      clearTimeout(timer);
      resolve(pid);
    };
    const timer = setTimeout(() => done(undefined), 10_000);
    // The open pipe must not keep fleetbot running (a one-shot command exits while agents run on).
    info.unref();
    info.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const match = /"child-pid"\s*:\s*(\d+)/.exec(text);
      if (match) done(Number(match[1]));
    });
    info.on('close', () => done(undefined));
    info.on('error', () => done(undefined));
  });
}

/** Why a child we started has ended, if it has. */
export const exitOf = (pid: number): string | undefined => exits.get(pid) ?? commandExits.get(pid);

/** True if pid is a live (not zombie) process whose command line mentions marker (its folder). */
export function isAgentProcess(pid: number, marker: string): boolean {
  if (exits.has(pid)) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) Z /.test(stat)) return false;
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    return environ.split('\0').includes(`FLEETBOT_AGENT_DIR=${marker}`);
  } catch {
    // Without /proc (not Linux) a live pid is the best evidence there is; with it, an unreadable
    // process is not one of ours.
    return !existsSync('/proc/self/environ');
  }
}

/** Live processes (not this one) whose environment holds `entry` exactly, e.g. `FLEETBOT_AGENT_DIR=/x`. */
export function processesWithEnv(entry: string): number[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
  // Only a process that provably carries the entry counts: a guess here would signal a stranger.
  const carries = (pid: number): boolean => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(entry);
    } catch {
      return false;
    }
  };
  return pids.map(Number).filter((pid) => pid !== process.pid && carries(pid));
}

/** Live processes started for this agent folder (found by the marker in their environment). */
export const processesIn = (marker: string): number[] =>
  processesWithEnv(`FLEETBOT_AGENT_DIR=${marker}`).filter((pid) => isAgentProcess(pid, marker));

/**
 * SIGTERM to the process group and to every process that carries the agent's marker, then SIGKILL
 * to all of them if they have not ended within graceMs. The marker catches a child that moved into
 * its own session (setsid) and so left the group; in a sandbox, the group's SIGKILL reaches the
 * pid namespace's init, and the kernel then ends everything inside.
 */
export async function stopAgent(
  pid: number,
  marker: string,
  opts: { clock: Clock; graceMs: number },
): Promise<'stopped' | 'killed' | 'not-running'> {
  const left = (): number[] =>
    [...new Set([pid, ...processesIn(marker)])].filter((p) => isAgentProcess(p, marker));
  const found = left();
  if (found.length === 0) return 'not-running';
  // A sandbox's outer bwrap is left to exit by itself once its init has ended: it reaps that init,
  // which would otherwise linger as a zombie; a SIGKILL to the init ends everything inside.
  const signalAll = (signal: NodeJS.Signals): void => {
    const targets = left().filter((p) => !isSandboxMonitor(p));
    if (!isSandboxMonitor(pid)) targets.unshift(-pid);
    for (const target of targets)
      try {
        process.kill(target, signal);
      } catch {
        // Already gone.
      }
  };
  // An ended sandbox init whose bwrap left first is reaped by the host's init a moment later: wait
  // for that too (real time, whatever the clock), so no pid is left, not even a zombie, on return.
  const reaped = async (): Promise<void> => {
    for (let i = 0; i < 80 && found.some(pidExists); i++) await new Promise((r) => setTimeout(r, 25));
  };
  signalAll('SIGTERM');
  const deadline = opts.clock.now() + opts.graceMs;
  while (opts.clock.now() < deadline) {
    await sleep(opts.clock, 50);
    if (left().length === 0) return reaped().then(() => 'stopped');
  }
  signalAll('SIGKILL');
  for (let i = 0; i < 40 && left().length > 0; i++) await sleep(opts.clock, 25);
  return reaped().then(() => 'killed');
}

/** Whether any process, a zombie included, still holds this pid. */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** bwrap's outer process, which only watches its sandbox: the bwrap binary, in this pid namespace only. */
function isSandboxMonitor(pid: number): boolean {
  try {
    const nspid = /^NSpid:\s*(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '';
    return (
      nspid.trim().split(/\s+/).length === 1 && path.basename(readlinkSync(`/proc/${pid}/exe`)) === 'bwrap'
    );
  } catch {
    return false;
  }
}
