import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';

// The data folder holds the store (every principal, chat and job), backups and a log that may carry a
// pairing code: nobody but fleetbot's own user may read them, whatever the umask says.

/** Creates the folder (and parents) if missing; fleetbot's own folder is made owner-only either way. */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Creates the file empty if missing and makes it owner-only (0600), before anything is written to it. */
export function privateFile(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
}

/** Makes a file owner-only if it exists (a store's -wal and -shm files from an older start). */
export function privateIfExists(file: string): void {
  if (existsSync(file)) chmodSync(file, 0o600);
}
