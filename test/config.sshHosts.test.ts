import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/index.js';

describe('FLEETBOT_SSH_HOSTS', () => {
  it('parses name=user@host[:port] entries, IPv6 in brackets, with their known_hosts file', () => {
    const c = parseConfig({
      FLEETBOT_SSH_HOSTS: 'lab1=agent@203.0.113.7, lab2=root@198.51.100.4:2222,v6=ops@[2001:db8::7]:22',
      FLEETBOT_SSH_KNOWN_HOSTS: '/etc/fleetbot/known_hosts',
      FLEETBOT_PROVIDER: 'ssh',
    });
    expect(c.provider).toBe('ssh');
    expect(c.providers.ssh).toEqual({
      hosts: [
        { name: 'lab1', user: 'agent', host: '203.0.113.7', port: 22 },
        { name: 'lab2', user: 'root', host: '198.51.100.4', port: 2222 },
        { name: 'v6', user: 'ops', host: '2001:db8::7', port: 22 },
      ],
      knownHostsFile: '/etc/fleetbot/known_hosts',
      domain: undefined,
      acmeCa: undefined,
    });
  });

  it('refuses malformed entries, repeated names and bad ports', () => {
    expect(() => parseConfig({ FLEETBOT_SSH_HOSTS: 'lab1=203.0.113.7' })).toThrow(
      /^FLEETBOT_SSH_HOSTS: each entry must look like name=user@host\[:port\], not lab1=203\.0\.113\.7/,
    );
    expect(() =>
      parseConfig({ FLEETBOT_SSH_HOSTS: 'a=u@h1,a=u@h2', FLEETBOT_SSH_KNOWN_HOSTS: '/kh' }),
    ).toThrow(/the host name a is used twice/);
    expect(() => parseConfig({ FLEETBOT_SSH_HOSTS: 'a=u@h1:70000' })).toThrow(/name=user@host\[:port\]/);
    expect(() => parseConfig({ FLEETBOT_SSH_HOSTS: 'a=u@h1;reboot' })).toThrow(/name=user@host/);
  });

  it('will not trust on first use: hosts need a known_hosts file', () => {
    expect(() => parseConfig({ FLEETBOT_SSH_HOSTS: 'lab1=agent@203.0.113.7' })).toThrow(
      /FLEETBOT_SSH_HOSTS: fleetbot never trusts a host key on first use; set FLEETBOT_SSH_KNOWN_HOSTS .*ssh-keyscan/,
    );
    expect(() => parseConfig({ FLEETBOT_PROVIDER: 'ssh' })).toThrow(
      /FLEETBOT_PROVIDER: ssh needs FLEETBOT_SSH_HOSTS/,
    );
  });
});
