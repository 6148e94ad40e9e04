import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { systemClock } from '../../src/core/runtime/clock.js';
import { createMetrics } from '../../src/core/runtime/metrics.js';
import { hetznerModule } from '../../src/providers/hetzner/module.js';
import { localModule } from '../../src/providers/local/module.js';
import type { ProviderShared } from '../../src/providers/module.js';
import { generateHostKey } from '../../src/providers/ssh/hostKey.js';
import { createSshPool } from '../../src/providers/ssh/pool.js';
import { sshHostsModule } from '../../src/providers/sshHosts/module.js';
import { silentLog, tempDir } from '../support/env.js';
import { fakeMachines } from '../support/fakeMachines.js';
import { fakeCloudProvider, startHetznerCloud } from '../support/hetznerCloud.js';
import { providerContract, type ProviderUnderTest } from './provider.case.js';

/** What main hands every provider, over a fresh data folder and SSH pool. */
function sharedFor(login: { keyFile?: string } = {}) {
  const tmp = tempDir();
  const sshPool = createSshPool({ clock: systemClock, idleMs: 60_000 });
  const shared: ProviderShared = {
    clock: systemClock,
    log: silentLog,
    metrics: createMetrics(),
    sshPool,
    login: { keyFile: login.keyFile, passphrase: undefined, agentSocket: undefined },
    dataDir: tmp.dir,
    instance: 'contract-test',
  };
  return { shared, tmp, close: () => (sshPool.close(), tmp.cleanup()) };
}

/** Files in a folder, none when it is gone. */
const filesIn = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);

/** Child processes of the bot's host, each in its folder under the data folder. */
async function local(): Promise<ProviderUnderTest> {
  const { shared, close } = sharedFor();
  const settings = {
    unsandboxed: false,
    chatPlatforms: [],
    hidden: [],
    healthDeadlineMs: 10_000,
    stopGraceMs: 2_000,
    pollIntervalMs: 50,
  };
  return {
    provider: localModule.create(settings, shared),
    rebuilt: () => localModule.create(settings, shared),
    url: /^http:\/\/127\.0\.0\.1:\d+$/,
    options: {},
    leftovers: () => filesIn(path.join(shared.dataDir, 'agents')),
    close: async () => close(),
  };
}

/** A host someone already has: an ssh2 server over a folder, its key pinned in known_hosts. */
async function ssh(): Promise<ProviderUnderTest> {
  const login = generateHostKey('fleetbot login');
  const hostKey = generateHostKey('lab1');
  const machines = fakeMachines(undefined, { sshDelayMs: 0 });
  const lab1 = await machines.add(
    'lab1',
    { hostKey: hostKey.privateKey, authorizedKey: login.publicKey, username: 'agent' },
    0,
  );
  const { shared, tmp, close } = sharedFor({ keyFile: path.join(tempDir().dir, 'id_ed25519') });
  writeFileSync(shared.login.keyFile!, login.privateKey, { mode: 0o600 });
  const knownHostsFile = path.join(tmp.dir, 'known_hosts');
  writeFileSync(knownHostsFile, `[127.0.0.1]:${lab1.sshPort} ${hostKey.publicKey}\n`);
  for (let i = 0; i < 200 && !lab1.ssh; i++) await new Promise((r) => setTimeout(r, 10));
  const settings = {
    hosts: [{ name: 'lab1', user: 'agent', host: '127.0.0.1', port: lab1.sshPort }],
    knownHostsFile,
    domain: undefined,
    acmeCa: undefined,
  };
  return {
    provider: sshHostsModule.create(settings, shared),
    rebuilt: () => sshHostsModule.create(settings, shared),
    // Without FLEETBOT_DOMAIN no name points at the host, so the agent is checked over SSH only.
    url: undefined,
    options: { host: 'lab1' },
    leftovers: () => [
      ...lab1.agents.keys(),
      ...filesIn(machines.file('lab1', '/etc/systemd/system')).filter((f) => f.startsWith('fleetbot')),
    ],
    close: async () => {
      await machines.close();
      close();
    },
  };
}

/** Servers on the fake Hetzner API, records on the fake Cloudflare API, machines behind them. */
async function hetzner(): Promise<ProviderUnderTest> {
  const cloud = await startHetznerCloud();
  // The role's golden image, as `/image build swe` leaves it.
  cloud.hetzner.importSnapshot('fleetbot-swe v1', {
    'managed-by': 'fleetbot',
    'fleetbot-image': 'fleetbot-swe',
    role: 'swe',
    version: '1',
  });
  const pool = createSshPool({ clock: systemClock, idleMs: 60_000 });
  return {
    provider: cloud.provider,
    rebuilt: () => fakeCloudProvider(cloud.endpoints, cloud.machines, pool),
    url: /^https:\/\/alice\.agents\.example\.test$/,
    options: { type: 'cx23', location: 'nbg1' },
    leftovers: () => [
      ...cloud.hetzner.servers().map((s) => `server ${s.id}`),
      ...cloud.cloudflare.records().map((r) => `record ${r.name}`),
    ],
    close: async () => {
      pool.close();
      await cloud.close();
    },
  };
}

providerContract({ module: localModule, start: local });
providerContract({ module: sshHostsModule, start: ssh });
providerContract({ module: hetznerModule, start: hetzner });
