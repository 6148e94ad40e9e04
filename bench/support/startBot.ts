import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Reads a process's resident set size from /proc (Linux), in MB. */
export const rssMB = (pid: number): number =>
  Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

/**
 * Spawns `node dist/cli.js start` with env and resolves once it logs that it is ready, with the time
 * that took and its RSS after `settleMs` more of idling; then stops it with SIGTERM.
 */
export async function timeStart(
  env: Record<string, string>,
  settleMs: number,
): Promise<{ readyMs: number; idleRssMB: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, ['dist/cli.js', 'start'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  try {
    const readyMs = await new Promise<number>((resolve, reject) => {
      let log = '';
      child.stderr.on('data', (chunk: Buffer) => {
        log += chunk.toString('utf8');
        if (log.includes('fleetbot is ready')) resolve(performance.now() - started);
      });
      child.on('exit', (code) => reject(new Error(`fleetbot exited with ${code} before ready:\n${log}`)));
    });
    await new Promise((r) => setTimeout(r, settleMs));
    return { readyMs, idleRssMB: rssMB(child.pid!) };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}
