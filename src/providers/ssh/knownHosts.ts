import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UserError } from '../../core/runtime/errors.js';
import { publicKeyBlob } from './hostKey.js';

// OpenSSH's known_hosts format, as far as pinning needs it: plain and hashed (`|1|salt|hash`) host
// names, `[host]:port` for ports other than 22, and `@revoked` keys. Wildcard patterns are not
// matched: a pin names one host.

type Entry = { revoked: boolean; patterns: string[]; key: string };

export type KnownHosts = {
  /** The pinned public key line for host:port (ed25519 preferred), or undefined when there is none. */
  keyFor(host: string, port: number): string | undefined;
};

const hostPattern = (host: string, port: number): string => (port === 22 ? host : `[${host}]:${port}`);

function matches(pattern: string, name: string): boolean {
  const hashed = /^\|1\|([^|]+)\|([^|]+)$/.exec(pattern);
  if (!hashed) return pattern.toLowerCase() === name.toLowerCase();
  const hmac = createHmac('sha1', Buffer.from(hashed[1]!, 'base64')).update(name).digest('base64');
  return hmac === hashed[2];
}

/** Parses a known_hosts file's text; a line that is not a host and a key is an error naming the line. */
export function parseKnownHosts(text: string, file: string): KnownHosts {
  const entries: Entry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    const marker = fields[0]?.startsWith('@') ? fields.shift() : undefined;
    const [patterns, type, data] = fields;
    if (!patterns || !type || !data)
      throw new UserError(`${file} line ${i + 1}: expected "host key-type base64-key"`);
    const key = `${type} ${data}`;
    try {
      publicKeyBlob(key);
    } catch {
      throw new UserError(`${file} line ${i + 1}: not a public key fleetbot can read`);
    }
    if (marker === '@cert-authority') return;
    entries.push({ revoked: marker === '@revoked', patterns: patterns.split(','), key });
  });
  return {
    keyFor(host, port) {
      const name = hostPattern(host, port);
      const revoked = new Set(entries.filter((e) => e.revoked).map((e) => e.key));
      const keys = entries
        .filter((e) => !e.revoked && !revoked.has(e.key) && e.patterns.some((p) => matches(p, name)))
        .map((e) => e.key);
      return keys.find((k) => k.startsWith('ssh-ed25519 ')) ?? keys[0];
    },
  };
}

/** What to tell someone whose host has no pinned key: where to get it without trusting the network. */
export const missingPinHelp = (host: string, port: number, file: string): string =>
  `fleetbot never trusts a host key on first use. On the server, print its key with "cat /etc/ssh/ssh_host_ed25519_key.pub", or run "ssh-keyscan -t ed25519${port === 22 ? '' : ` -p ${port}`} ${host}" from a network you trust, and add it to ${file} as "${hostPattern(host, port)} ssh-ed25519 AAAA…".`;

/**
 * The pinned host keys in a known_hosts file (FLEETBOT_SSH_KNOWN_HOSTS unless another variable names
 * it); a missing file stops the start with what to create.
 */
export function readKnownHosts(
  file: string,
  variable = 'FLEETBOT_SSH_KNOWN_HOSTS',
  hosts = 'FLEETBOT_SSH_HOSTS entries, an ssh:// DOCKER_HOST',
): KnownHosts {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(
      `${variable}: cannot read ${file}; create it with the host key of each host fleetbot logs in to (${hosts}).`,
    );
  }
  return parseKnownHosts(text, file);
}
