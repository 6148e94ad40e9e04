import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Env } from './variables.js';

// A secret may come from a file instead of the environment, so it is in no environment a child process
// (an agent) could inherit or read from /proc: systemd's credentials (LoadCredential= puts each one in
// $CREDENTIALS_DIRECTORY, readable by the service alone), or NAME_FILE naming any file.

/** A credential file's content, without the newline an editor or `echo` leaves at its end. */
const readSecretFile = (file: string): string => readFileSync(file, 'utf8').replace(/\r?\n$/, '');

/**
 * The value of a secret NAME: the variable itself, else the file NAME_FILE names, else the systemd
 * credential NAME. Undefined when none is given; throws naming the file when one is given but unreadable.
 */
export function secretValue(name: string, env: Env): string | undefined {
  if (env[name]) return env[name];
  const file = env[`${name}_FILE`];
  const credential = env.CREDENTIALS_DIRECTORY && path.join(env.CREDENTIALS_DIRECTORY, name);
  try {
    if (file) return readSecretFile(file);
    if (credential) return readSecretFile(credential);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A credential directory lists only the credentials the unit loads; a missing one is not given.
    if (!file && code === 'ENOENT') return undefined;
    throw new Error(
      `${name}: cannot read ${file ? `${name}_FILE (${file})` : `the credential ${credential}`}: ${code ?? String(err)}; make it a file fleetbot's user can read`,
      { cause: err },
    );
  }
  return undefined;
}
