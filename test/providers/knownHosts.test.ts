import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateHostKey } from '../../src/providers/ssh/hostKey.js';
import { parseKnownHosts } from '../../src/providers/ssh/knownHosts.js';

const ed = generateHostKey('ed').publicKey.split(' ').slice(0, 2).join(' ');
const other = generateHostKey('other').publicKey.split(' ').slice(0, 2).join(' ');
const hashed = (name: string): string => {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
};

describe('known_hosts pins', () => {
  it('finds plain, bracketed-port and hashed entries, and nothing for unknown hosts', () => {
    const kh = parseKnownHosts(
      [
        '# comment',
        `203.0.113.7,lab1.example.com ${ed}`,
        `[198.51.100.4]:2222 ${other} root@lab2`,
        `${hashed('192.0.2.9')} ${ed}`,
        '',
      ].join('\n'),
      'known_hosts',
    );
    expect(kh.keyFor('203.0.113.7', 22)).toBe(ed);
    expect(kh.keyFor('LAB1.example.com', 22)).toBe(ed);
    expect(kh.keyFor('198.51.100.4', 2222)).toBe(other);
    expect(kh.keyFor('198.51.100.4', 22)).toBeUndefined();
    expect(kh.keyFor('192.0.2.9', 22)).toBe(ed);
    expect(kh.keyFor('192.0.2.10', 22)).toBeUndefined();
  });

  it('never returns a revoked key, and ignores certificate authorities', () => {
    const kh = parseKnownHosts(
      [`@revoked * ${ed}`, `@cert-authority *.example.com ${other}`, `203.0.113.7 ${ed}`].join('\n'),
      'kh',
    );
    expect(kh.keyFor('203.0.113.7', 22)).toBeUndefined();
  });

  it('names the file and line of anything that is not a host and a key', () => {
    expect(() => parseKnownHosts(`203.0.113.7 ${ed}\n203.0.113.8 ssh-ed25519\n`, '/etc/kh')).toThrow(
      '/etc/kh line 2: expected "host key-type base64-key"',
    );
    expect(() => parseKnownHosts('203.0.113.7 ssh-ed25519 bm90IGEga2V5', '/etc/kh')).toThrow(
      '/etc/kh line 1: not a public key fleetbot can read',
    );
  });
});
