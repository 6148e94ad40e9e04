import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHetzner, type FakeHetzner } from '../fakes/hetzner/index.js';
import {
  apiFor,
  createServer,
  waitForAction,
  type ActionJson,
  type Api,
  type ImageJson,
} from '../fakes/hetzner/test-support.js';
import { alive } from '../support/process.js';
import { ensureLabImage } from './labImage.js';
import { labDir, startVmLab, vmLabUnavailable, type VmLab } from './lab.js';
import { must } from './processes.js';

let lab: VmLab;
let hetzner: FakeHetzner;
let api: Api;
let labSnapshot: number;

const qemuPid = (serverId: number): number | undefined => {
  const file = `${labDir}/qemu-${serverId}.pid`;
  return existsSync(file) ? Number(readFileSync(file, 'utf8')) : undefined;
};
const backingOf = (serverId: number): string =>
  must('qemu-img', ['info', '--output=json', '-U', `${labDir}/server-${serverId}.qcow2`]);

describe.skipIf(vmLabUnavailable() !== undefined)('the VM-backed fake Hetzner', () => {
  beforeAll(async () => {
    const image = await ensureLabImage();
    lab = await startVmLab(image, () => undefined);
    hetzner = await startFakeHetzner({ vmBackend: lab.vms, bootDelayMs: 200, actionDelayMs: 50 });
    api = apiFor(hetzner);
    labSnapshot = hetzner.importSnapshot('lab', { role: 'swe' });
    lab.vms.addImage(labSnapshot, image.disk);
  });
  afterAll(async () => {
    await hetzner?.close();
    await lab?.close();
  });

  it('boots a VM per server, powers it off, snapshots its overlay and boots the snapshot', async () => {
    const { server, action, next_actions } = await createServer(api, {
      name: 'first',
      image: String(labSnapshot),
    });
    for (const a of [action, ...next_actions]) await waitForAction(api, a.id);
    expect(server.public_net.ipv4?.ip).toMatch(/^10\.79\.0\.\d+$/);
    const pid = qemuPid(server.id)!;
    expect(alive(pid)).toBe(true);
    expect(backingOf(server.id)).toContain('base.qcow2');

    const off = await api<{ action: ActionJson }>('POST', `/servers/${server.id}/actions/poweroff`);
    await waitForAction(api, off.body.action.id);
    expect(alive(pid)).toBe(false);
    expect(hetzner.servers()[0]!.status).toBe('off');

    const snap = await api<{ image: ImageJson; action: ActionJson }>(
      'POST',
      `/servers/${server.id}/actions/create_image`,
      { type: 'snapshot', description: 'first, powered off' },
    );
    await waitForAction(api, snap.body.action.id);
    const imageFile = `${labDir}/images/image-${snap.body.image.id}.qcow2`;
    expect(existsSync(imageFile)).toBe(true);

    const second = await createServer(api, { name: 'second', image: String(snap.body.image.id) });
    expect(second.server.public_net.ipv4?.ip).not.toBe(server.public_net.ipv4?.ip);
    expect(alive(qemuPid(second.server.id)!)).toBe(true);
    expect(backingOf(second.server.id)).toContain(imageFile);

    for (const id of [server.id, second.server.id]) {
      const deleted = await api<{ action: ActionJson }>('DELETE', `/servers/${id}`);
      await waitForAction(api, deleted.body.action.id);
      expect(qemuPid(id)).toBeUndefined();
      expect(existsSync(`${labDir}/server-${id}.qcow2`)).toBe(false);
    }
    expect((await api('DELETE', `/images/${snap.body.image.id}`)).status).toBe(204);
    expect(existsSync(imageFile)).toBe(false);
    expect(hetzner.servers()).toEqual([]);
    hetzner.assertNoViolations();
  });
});
