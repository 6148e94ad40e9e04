import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { sleep, type Clock } from '../../core/runtime/clock.js';

/** Exit codes of the children this process started, so a deploy notices a crash at once. */
const exits = new Map<number, string>();

/**
 * Starts the agent (or the sandbox that runs it) in its own process group with a clean environment
 * (never fleetbot's, which holds tokens), stdout and stderr appended to its log file; it keeps
 * running if fleetbot stops, and is found again by the folder marker in its environment.
 */
export function spawnAgent(
  argv: string[],
  opts: { cwd: string; env: Record<string, string>; logFile: string },
): number {
  const [command, ...args] = argv;
  if (!command) throw new Error('the role has an empty command');
  const fd = openSync(opts.logFile, 'a', 0o600);
  try {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    const pid = child.pid;
    child.on('error', (err) => exits.set(pid, `could not start: ${err.message}`));
    child.on('exit', (code, signal) =>
      exits.set(pid, signal ? `killed by ${signal}` : `exited with code ${code}`),
    );
    child.unref();
    return pid;
  } finally {
    closeSync(fd);
  }
}

/** Why a child we started has ended, if it has. */
export const exitOf = (pid: number): string | undefined => exits.get(pid);

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

/** Live processes started for this agent folder (found by the marker in their environment). */
export function processesIn(marker: string): number[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
  // Only a process that provably carries the marker counts: a guess here would signal a stranger.
  const carriesMarker = (pid: number): boolean => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .includes(`FLEETBOT_AGENT_DIR=${marker}`);
    } catch {
      return false;
    }
  };
  return pids
    .map(Number)
    .filter((pid) => pid !== process.pid && carriesMarker(pid) && isAgentProcess(pid, marker));
}

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
  if (left().length === 0) return 'not-running';
  const signalAll = (signal: NodeJS.Signals): void => {
    for (const target of [-pid, ...left()])
      try {
        process.kill(target, signal);
      } catch {
        // Already gone.
      }
  };
  signalAll('SIGTERM');
  const deadline = opts.clock.now() + opts.graceMs;
  while (opts.clock.now() < deadline) {
    await sleep(opts.clock, 50);
    if (left().length === 0) return 'stopped';
  }
  signalAll('SIGKILL');
  for (let i = 0; i < 40 && left().length > 0; i++) await sleep(opts.clock, 25);
  return 'killed';
}
