import { readFileSync } from 'node:fs';

/** CPU time (user + system) a live process has used so far, from /proc (Linux), in ms. */
export function processCpuMs(pid: number): number {
  // Fields after the command name, which may itself hold spaces: utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticksPerSecond = 100;
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}
