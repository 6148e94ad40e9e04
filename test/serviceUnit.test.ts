import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { probeCommand } from '../src/providers/local/sandbox.js';

// The shipped service unit confines fleetbot, and so every local agent's sandbox it starts: a
// setting that forbids what bubblewrap needs turns every local deploy into a refusal. The VM
// lab's hostile-agent suite starts the sandbox under these settings with real systemd.

const unit = readFileSync('deploy/systemd/fleetbot.service', 'utf8');
const settings = (key: string): string[] =>
  [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());

const allNamespaces = ['cgroup', 'ipc', 'net', 'mnt', 'pid', 'user', 'uts'];
const bwrapFlags: Record<string, string> = {
  '--unshare-user': 'user',
  '--unshare-pid': 'pid',
  '--unshare-ipc': 'ipc',
  '--unshare-uts': 'uts',
  '--unshare-cgroup-try': 'cgroup',
  '--unshare-cgroup': 'cgroup',
  '--unshare-net': 'net',
};

/** The namespaces RestrictNamespaces= lets the service create, as systemd reads the setting. */
function allowedNamespaces(): string[] {
  const [value] = settings('RestrictNamespaces');
  if (value === undefined || value === 'no') return allNamespaces;
  if (value === 'yes') return [];
  const listed = value.replace(/^~/, '').split(/\s+/);
  return value.startsWith('~') ? allNamespaces.filter((n) => !listed.includes(n)) : listed;
}

describe('the shipped fleetbot unit and the local sandbox', () => {
  it('lets bubblewrap create every namespace the sandbox uses, and no other', () => {
    // bwrap always makes a mount namespace, for the sandbox's own root.
    const needed = new Set([
      'mnt',
      ...probeCommand('bwrap').flatMap((arg) => (bwrapFlags[arg] ? [bwrapFlags[arg]] : [])),
    ]);
    expect([...needed].sort()).toEqual(['cgroup', 'ipc', 'mnt', 'pid', 'user', 'uts']);
    expect(allowedNamespaces().sort()).toEqual([...needed].sort());
  });

  it('gives back, after every deny line of its system-call filter, the calls bubblewrap makes to build a sandbox', () => {
    // systemd applies SystemCallFilter= lines in order: a later allow line adds back what a deny
    // line (~@privileged holds pivot_root and capset) took away.
    const filters = settings('SystemCallFilter');
    const lastDeny = filters.findLastIndex((f) => f.startsWith('~'));
    const givenBack = filters.slice(lastDeny + 1).flatMap((f) => f.split(/\s+/));
    expect(givenBack).toEqual(expect.arrayContaining(['mount', 'umount2', 'pivot_root', 'capset']));
    expect(filters[0]).toBe('@system-service');
  });
});
