import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { must, startChild, tryRun } from './processes.js';

// The lab's private network: a bridge only the host and the lab VMs are on. dnsmasq hands each VM a
// fixed address for its MAC and nothing else: no router and no DNS server, so a guest reaches only
// the host and the other lab VMs (the host does not forward).
export const bridgeName = 'br-fbvm0';
export const hostAddress = '10.79.0.1';
const prefix = '10.79.0';
const firstSlot = 10;
const slots = 40;
export const tapPrefix = 'fbvm-t';

export type Nic = { tap: string; mac: string; ip: string };

/** The tap, MAC and address of VM slot n; fixed, so the API can report the address at create time. */
export const nicOf = (n: number): Nic => ({
  tap: `${tapPrefix}${n}`,
  mac: `52:54:00:79:00:${(firstSlot + n).toString(16).padStart(2, '0')}`,
  ip: `${prefix}.${firstSlot + n}`,
});

/**
 * Where dockerd runs on the host it sets iptables' FORWARD policy to DROP, and bridged frames pass
 * through iptables (br_netfilter): lab VMs could no longer reach each other (a two-node Swarm does).
 * Traffic from the lab bridge to itself is let through while the lab runs.
 */
const betweenVms = ['FORWARD', '-i', bridgeName, '-o', bridgeName, '-j', 'ACCEPT'];

/** Removes what an earlier run may have left: taps, the bridge and its forwarding rule. */
export function removeLinks(): void {
  tryRun('iptables', ['-D', ...betweenVms]);
  const links = must('ip', ['-o', 'link', 'show']);
  for (const match of links.matchAll(new RegExp(`^\\d+: (${tapPrefix}\\d+)[@:]`, 'gm')))
    tryRun('ip', ['link', 'delete', match[1]!]);
  tryRun('ip', ['link', 'delete', bridgeName]);
}

export async function startNetwork(dir: string) {
  must('ip', ['link', 'add', bridgeName, 'type', 'bridge']);
  must('ip', ['addr', 'add', `${hostAddress}/24`, 'dev', bridgeName]);
  must('ip', ['link', 'set', bridgeName, 'up']);
  tryRun('iptables', ['-I', ...betweenVms]);
  const hosts = path.join(dir, 'dhcp-hosts');
  writeFileSync(hosts, Array.from({ length: slots }, (_, n) => `${nicOf(n).mac},${nicOf(n).ip}\n`).join(''));
  const dnsmasq = startChild('dnsmasq', [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--port=0',
    `--interface=${bridgeName}`,
    '--bind-interfaces',
    `--dhcp-range=${prefix}.0,static,12h`,
    `--dhcp-hostsfile=${hosts}`,
    '--dhcp-option=3',
    '--dhcp-option=6',
    `--dhcp-leasefile=${path.join(dir, 'dnsmasq.leases')}`,
    `--pid-file=${path.join(dir, 'dnsmasq.pid')}`,
  ]);
  return {
    addTap(nic: Nic): void {
      must('ip', ['tuntap', 'add', 'dev', nic.tap, 'mode', 'tap']);
      must('ip', ['link', 'set', nic.tap, 'master', bridgeName]);
      must('ip', ['link', 'set', nic.tap, 'up']);
    },
    removeTap: (nic: Nic): void => tryRun('ip', ['link', 'delete', nic.tap]),
    async close(): Promise<void> {
      await dnsmasq.stop();
      removeLinks();
    },
  };
}
export type LabNetwork = Awaited<ReturnType<typeof startNetwork>>;
