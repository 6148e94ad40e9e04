import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { DestinationStream } from 'pino';

/** How big the console's log file may grow, and how many older files are kept beside it. */
export type Rotation = { maxBytes: number; keep: number };

/** 10 MB, then fleetbot.log.1 … fleetbot.log.5: at most about 60 MB on a host nobody watches. */
export const consoleLogRotation: Rotation = { maxBytes: 10 * 1024 * 1024, keep: 5 };

/**
 * A log file that never grows past `maxBytes`: when a line would take it past, the file becomes
 * `<file>.1`, each older one moves up a number, and the one past `keep` is deleted. A file left too
 * big by an earlier run is rotated on open. Written synchronously, so a line is on disk before a
 * fatal exit; new files are private (the log carries pairing codes and agent output).
 */
export function rotatingLog(file: string, { maxBytes, keep }: Rotation): DestinationStream {
  const open = (): number => openSync(file, 'a', 0o600);
  let fd = open();
  let size = fstatSync(fd).size;
  const rotate = (): void => {
    closeSync(fd);
    rmSync(`${file}.${keep}`, { force: true });
    for (let n = keep - 1; n >= 1; n--)
      if (existsSync(`${file}.${n}`)) renameSync(`${file}.${n}`, `${file}.${n + 1}`);
    renameSync(file, `${file}.1`);
    fd = open();
    size = 0;
  };
  if (size >= maxBytes) rotate();
  return {
    write(line: string): void {
      const bytes = Buffer.byteLength(line);
      if (size > 0 && size + bytes > maxBytes) rotate();
      writeSync(fd, line);
      size += bytes;
    },
  };
}
