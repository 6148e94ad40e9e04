import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { alive } from '../support/process.js';

/** Runs a program (no shell) that must succeed; its stderr is the error otherwise. */
export function must(program: string, args: string[], timeoutMs = 120_000): string {
  const r = spawnSync(program, args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${program} ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Runs a program whose failure does not matter (removing what may already be gone). */
export const tryRun = (program: string, args: string[]): void => void spawnSync(program, args);

/** The pid a pidfile names, if that process still runs the program it was written for. */
function livePid(pidFile: string, program: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return undefined;
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  return cmdline.includes(program) ? pid : undefined;
}

/** Stops the process a pidfile names (TERM, then KILL after a grace) and waits until it is gone. */
export async function stopPidFile(pidFile: string, program: string, graceMs = 5_000): Promise<void> {
  const pid = livePid(pidFile, program);
  if (pid === undefined) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  while (alive(pid)) await new Promise((r) => setTimeout(r, 20));
}

/** Every pidfile in a folder: what a crashed earlier run may have left running. */
export async function stopAllPidFiles(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.pid'))) {
    const program = name.startsWith('qemu') ? 'qemu-system' : name.replace(/\.pid$/, '');
    await stopPidFile(path.join(dir, name), program);
  }
}

/** A long-running helper as a child, its output kept for error messages; stop() ends it. */
export function startChild(
  program: string,
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; output: () => string; stop: () => Promise<void> } {
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let text = '';
  const keep = (chunk: Buffer) => (text = (text + chunk.toString('utf8')).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    child,
    output: () => text,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
