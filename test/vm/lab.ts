import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { Agent } from 'undici';
import { stringify } from 'yaml';
import { startLabDns } from './dns.js';
import type { LabImage } from './labImage.js';
import { hostAddress, removeLinks, startNetwork } from './network.js';
import { startPebble } from './pebble.js';
import { stopAllPidFiles } from './processes.js';
import { labVms } from './vms.js';

const tools = [
  'qemu-system-x86_64',
  'qemu-img',
  'debootstrap',
  'genisoimage',
  'dnsmasq',
  'pebble',
  'openssl',
];

/** Why the VM lab cannot run here (not root, or a tool missing), or undefined when it can. */
export function vmLabUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the VM lab needs root (bridge, taps, debootstrap); run it as root';
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length === 0) return undefined;
  return `missing ${missing.join(', ')}: apt-get install -y --no-install-recommends ${packages}`;
}
export const packages =
  'qemu-system-x86 qemu-utils debootstrap genisoimage dnsmasq-base pebble openssl e2fsprogs';

/** Fixed, so a run can find and stop what a crashed earlier run left behind. */
export const labDir = '/var/tmp/fleetbot-vmlab';

/** Stops VMs, dnsmasq and pebble of an earlier run, and removes its taps, bridge and files. */
export async function removeLeftovers(): Promise<void> {
  await stopAllPidFiles(labDir);
  removeLinks();
  rmSync(labDir, { recursive: true, force: true });
}

/**
 * The VM lab: a private bridge with DHCP, a DNS answer from the fake Cloudflare's records, pebble,
 * and qemu VMs behind the fake Hetzner. close() removes all of it; so does the next start.
 */
export async function startVmLab(image: LabImage, lookup: (name: string) => string | undefined) {
  await removeLeftovers();
  mkdirSync(labDir, { recursive: true });
  const undo: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const fn of undo.splice(0).reverse()) await fn().catch(() => undefined);
    await removeLeftovers();
  };
  try {
    const network = await startNetwork(labDir);
    undo.push(() => network.close());
    const dns = await startLabDns(hostAddress, lookup);
    undo.push(() => dns.close());
    const pebble = await startPebble(labDir, hostAddress, hostAddress);
    undo.push(() => pebble.close());
    const vms = labVms({
      dir: labDir,
      image,
      network,
      // Appended to the bundle Caddy (Go) reads: cloud-init's ca_certs module would run
      // update-ca-certificates, which takes over 30 s under emulation.
      vendorData: `#cloud-config\n${stringify({
        write_files: [
          { path: '/etc/ssl/certs/ca-certificates.crt', append: true, content: pebble.listenerCa },
        ],
      })}`,
      cpus: 2,
    });
    undo.push(() => vms.close());
    const https = labHttps(pebble.issuerRoot);
    undo.push(() => https.close());
    return { vms, pebble, acmeDirectory: pebble.directory, https, close };
  } catch (error) {
    await close();
    throw error;
  }
}
export type VmLab = Awaited<ReturnType<typeof startVmLab>>;

/** Connections as a browser in the lab makes them: names from the lab DNS, pebble's root trusted. */
function labHttps(root: string): Agent {
  const resolver = new Resolver({ timeout: 2_000, tries: 2 });
  resolver.setServers([hostAddress]);
  const lookup: LookupFunction = (hostname, options, callback) => {
    resolver.resolve4(hostname).then(
      (addresses) =>
        options.all
          ? callback(
              null,
              addresses.map((address) => ({ address, family: 4 })),
            )
          : callback(null, addresses[0]!, 4),
      (error: NodeJS.ErrnoException) => callback(error, '', 4),
    );
  };
  return new Agent({ connect: { ca: root, lookup } });
}
