import { readFileSync } from 'node:fs';
import type { SshLoginSettings } from '../../config/index.js';
import { UserError } from '../../core/runtime/errors.js';
import { publicKeyOf } from './hostKey.js';
import type { SshAuth } from './session.js';

/** fleetbot's SSH login from the config: the key file (whose public half new servers authorise) or the agent. */
export function sshLogin(ssh: SshLoginSettings): { auth: SshAuth; publicKeys: string[] } {
  if (ssh.keyFile) {
    let privateKey: Buffer;
    try {
      privateKey = readFileSync(ssh.keyFile);
    } catch {
      throw new UserError(
        `FLEETBOT_SSH_KEY: cannot read ${ssh.keyFile}; point it at a private key file fleetbot may read.`,
      );
    }
    return {
      auth: { privateKey, ...(ssh.passphrase ? { passphrase: ssh.passphrase } : {}) },
      publicKeys: [publicKeyOf(privateKey, ssh.passphrase)],
    };
  }
  if (ssh.agentSocket) return { auth: { agent: ssh.agentSocket }, publicKeys: [] };
  throw new UserError(
    'No SSH key: set FLEETBOT_SSH_KEY to a private key file, or run fleetbot with an SSH agent (SSH_AUTH_SOCK).',
  );
}
