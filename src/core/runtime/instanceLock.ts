import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * One fleetbot process per data folder: two would both recover "unfinished" jobs and both poll the
 * chat platforms. The lock is a pid file; a pid that no longer runs is a stale lock and is taken over.
 */
export function acquireInstanceLock(dataDir: string): { release(): void } | { heldBy: number } {
  const file = path.join(dataDir, 'fleetbot.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return { release: () => rmSync(file, { force: true }) };
    } catch {
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder))
        return { heldBy: holder };
      rmSync(file, { force: true });
    }
  }
  throw new Error(`cannot create the lock file ${file}; check that the data folder is writable`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
