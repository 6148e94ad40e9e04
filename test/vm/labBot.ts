import { mkdirSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { systemClock } from '../../src/core/runtime/clock.js';
import { checkHealth } from '../../src/core/fleet/healthCheck.js';
import { createCloudflareClient } from '../../src/providers/cloudflare/client.js';
import { createHetznerClient } from '../../src/providers/hetzner/client.js';
import { createHetznerProvider } from '../../src/providers/hetzner/index.js';
import type { MachineDeps } from '../../src/providers/machine/install.js';
import { productionMachineDeps } from '../../src/providers/machine/production.js';
import { createSshPool } from '../../src/providers/ssh/pool.js';
import { generateHostKey } from '../../src/providers/ssh/hostKey.js';
import { startFakeCloudflare } from '../fakes/cloudflare/index.js';
import { startFakeHetzner } from '../fakes/hetzner/index.js';
import { startConsoleBot } from '../support/consoleSession.js';
import { silentLog, tempDir } from '../support/env.js';
import { ensureLabImage } from './labImage.js';
import { startVmLab } from './lab.js';

type Defer = (fn: () => Promise<void> | void) => void;
export const domain = 'agents.example.test';

/**
 * A role whose agent exits at once: the deploy must fail at the local health check, show why from
 * the journal, and roll back.
 */
const brokenRole = `name: broken
description: An agent that exits at once, for the rollback scenario
agent:
  command: [node, -e, "console.error('broken agent: no model configured, exiting'); process.exit(3)"]
  port: 3100
providers:
  hetzner:
    serverType: cx23
    location: nbg1
    snapshot: fleetbot-swe
`;

/** Roles as shipped plus the broken one; ../agent points at the reference agent as in templates/. */
function rolesDir(dir: string): string {
  const roles = path.join(dir, 'roles');
  mkdirSync(roles);
  copyFileSync('templates/roles/swe.yaml', path.join(roles, 'swe.yaml'));
  writeFileSync(path.join(roles, 'broken.yaml'), brokenRole);
  symlinkSync(path.resolve('templates/agent'), path.join(dir, 'agent'));
  return roles;
}

/**
 * The real bot with the hetzner provider at production timings, against the fake Hetzner backed by
 * real VMs and the fake Cloudflare whose records the lab's DNS answers. The lab image stands in for
 * the role's golden snapshot (it was made by the same build script).
 */
export async function startLabBot(
  defer: Defer,
  log: (line: string) => void,
  /** Other waits than production's: longer for a suite that tests what runs on the VM rather than how fast it boots, shorter where a wait running out is the scenario. */
  patience: Partial<MachineDeps['timings']> = {},
) {
  const image = await ensureLabImage(log);
  const cloudflare = await startFakeCloudflare({ zoneName: domain });
  defer(() => cloudflare.close());
  const lab = await startVmLab(
    image,
    (name) => cloudflare.records().find((r) => r.type === 'A' && r.name === name)?.content,
  );
  defer(() => lab.close());
  // The API answers a create only once qemu runs, so the fake's own boot delays stay short.
  const hetzner = await startFakeHetzner({ vmBackend: lab.vms, bootDelayMs: 1_000, actionDelayMs: 500 });
  defer(() => hetzner.close());
  const snapshot = hetzner.importSnapshot('fleetbot-swe v1 (VM lab image)', {
    'managed-by': 'fleetbot',
    'fleetbot-image': 'fleetbot-swe',
    role: 'swe',
    version: '1',
  });
  lab.vms.addImage(snapshot, image.disk);

  const clock = systemClock;
  const login = generateHostKey('fleetbot login');
  const pool = createSshPool({ clock, idleMs: 60_000 });
  defer(() => pool.close());
  const production = productionMachineDeps({
    clock,
    auth: { privateKey: login.privateKey },
    pool,
    acmeCa: lab.acmeDirectory,
    sshEndpoint: (ip) => ({ host: ip, port: 22 }),
  });
  const machine = { ...production, timings: { ...production.timings, ...patience } };
  const provider = createHetznerProvider({
    hetzner: createHetznerClient({ token: hetzner.token, endpoint: hetzner.endpoint, clock, log: silentLog }),
    dns: createCloudflareClient({
      token: cloudflare.token,
      zoneId: cloudflare.zoneId,
      apiBase: cloudflare.apiBase,
      clock,
    }),
    domain,
    instance: 'vm-lab',
    log: silentLog,
    loginKeys: [login.publicKey],
    sshKeyNames: [],
    bootDeadlineMs: 5 * 60_000,
    // Production's check, through a pool that resolves with the lab DNS and trusts pebble's root.
    machine: {
      ...machine,
      publicHealth: (url, signal) => checkHealth(url, { timeoutMs: 5_000, signal, dispatcher: lab.https }),
    },
  });

  const tmp = tempDir('fleetbot-vm-');
  defer(tmp.cleanup);
  const s = await startConsoleBot(
    tmp.dir,
    { ANTHROPIC_API_KEY: 'sk-ant-very-secret', FLEETBOT_ROLES_DIR: rolesDir(tmp.dir) },
    { providers: [provider] },
  );
  defer(() => s.stop());
  return { s, hetzner, cloudflare, lab, login, machine };
}
export type LabBot = Awaited<ReturnType<typeof startLabBot>>;
