import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { VmBackend } from '../fakes/hetzner/vmBackend.js';
import { nicOf, type LabNetwork, type Nic } from './network.js';
import { must, stopPidFile } from './processes.js';
import type { LabImage } from './labImage.js';

type Vm = { serverId: number; nic: Nic; disk: string; seed: string; pidFile: string; console: string };

/**
 * Servers as qemu VMs (software emulation): a copy-on-write overlay of the image's disk, a NoCloud
 * seed with the request's user_data and the lab's vendor data, and a tap on the lab bridge.
 */
export function labVms(opts: {
  dir: string;
  image: LabImage;
  network: LabNetwork;
  /** cloud-config the lab adds to every VM, as a cloud's vendor data (the lab CA). */
  vendorData: string;
  /** vCPUs per VM: 2 while one VM runs at a time uses both host cores. */
  cpus: number;
}): VmBackend & {
  /** Lets servers boot from a disk, as the image with this ID. */
  addImage(imageId: number, disk: string): void;
  /** The serial console of a server's VM so far, for a failing test's message. */
  console(serverId: number): string;
  close(): Promise<void>;
} {
  const { dir, image, network } = opts;
  const vms = new Map<number, Vm>();
  const images = new Map<number, string>();
  let slot = 0;
  mkdirSync(path.join(dir, 'images'), { recursive: true });

  const vmOf = (serverId: number): Vm => {
    const vm = vms.get(serverId);
    if (!vm) throw new Error(`the VM lab has no VM for server ${serverId}`);
    return vm;
  };

  const start = (vm: Vm): void => {
    // -daemonize returns once the VM runs, so the API answers with a machine that is booting.
    must('qemu-system-x86_64', [
      '-accel',
      'tcg,tb-size=256',
      '-cpu',
      'max',
      '-m',
      '1024',
      '-smp',
      String(opts.cpus),
      '-nodefaults',
      '-vga',
      'none',
      '-display',
      'none',
      '-monitor',
      'none',
      '-serial',
      `file:${vm.console}`,
      '-daemonize',
      '-pidfile',
      vm.pidFile,
      '-kernel',
      image.kernel,
      '-initrd',
      image.initrd,
      '-append',
      'root=/dev/vda rw console=ttyS0 quiet',
      '-drive',
      `file=${vm.disk},if=virtio,format=qcow2`,
      '-drive',
      `file=${vm.seed},if=virtio,format=raw,readonly=on`,
      '-netdev',
      `tap,id=n0,ifname=${vm.nic.tap},script=no,downscript=no`,
      '-device',
      `virtio-net-pci,netdev=n0,mac=${vm.nic.mac}`,
    ]);
  };
  const stop = (vm: Vm) => stopPidFile(vm.pidFile, 'qemu-system');

  return {
    addImage: (imageId, disk) => void images.set(imageId, disk),

    async boot({ id, name, imageId, userData }) {
      const backing = images.get(imageId);
      if (!backing) throw new Error(`the VM lab has no disk for image ${imageId}`);
      const base = path.join(dir, `server-${id}`);
      const vm: Vm = {
        serverId: id,
        nic: nicOf(slot++),
        disk: `${base}.qcow2`,
        seed: `${base}.seed.iso`,
        pidFile: path.join(dir, `qemu-${id}.pid`),
        console: `${base}.console.log`,
      };
      must('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', backing, vm.disk]);
      const seedDir = `${base}.seed`;
      mkdirSync(seedDir);
      writeFileSync(path.join(seedDir, 'user-data'), userData ?? '#cloud-config\n{}\n');
      // A fresh instance-id per server: cloud-init then treats a clone of a snapshot as a new machine.
      writeFileSync(
        path.join(seedDir, 'meta-data'),
        `instance-id: lab-${id}-${Date.now()}\nlocal-hostname: ${name}\n`,
      );
      writeFileSync(path.join(seedDir, 'vendor-data'), opts.vendorData);
      must('genisoimage', ['-quiet', '-output', vm.seed, '-volid', 'cidata', '-joliet', '-rock', seedDir]);
      rmSync(seedDir, { recursive: true });
      network.addTap(vm.nic);
      vms.set(id, vm);
      start(vm);
      return vm.nic.ip;
    },

    powerOff: (serverId) => stop(vmOf(serverId)),
    powerOn: async (serverId) => start(vmOf(serverId)),

    async snapshot(serverId, imageId) {
      const disk = path.join(dir, 'images', `image-${imageId}.qcow2`);
      // The overlay keeps pointing at its backing file, so a copy is a complete image.
      copyFileSync(vmOf(serverId).disk, disk);
      images.set(imageId, disk);
    },

    async remove(serverId) {
      const vm = vms.get(serverId);
      if (!vm) return;
      vms.delete(serverId);
      await stop(vm);
      network.removeTap(vm.nic);
      for (const file of [vm.disk, vm.seed, vm.pidFile, vm.console]) rmSync(file, { force: true });
    },

    async removeImage(imageId) {
      const disk = images.get(imageId);
      images.delete(imageId);
      if (disk?.startsWith(dir)) rmSync(disk, { force: true });
    },

    console: (serverId) => {
      const vm = vms.get(serverId);
      return vm ? spawnSync('tail', ['-n', '40', vm.console], { encoding: 'utf8' }).stdout : '';
    },

    async close() {
      for (const id of [...vms.keys()]) await this.remove(id);
    },
  };
}
