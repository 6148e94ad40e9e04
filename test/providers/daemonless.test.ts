import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRoles } from '../../src/core/fleet/roles.js';
import { systemClock } from '../../src/core/runtime/clock.js';
import type { Agent } from '../../src/core/store/agents.js';
import { roleSections } from '../../src/providers/index.js';
import { chatSections } from '../../src/protocols/index.js';
import {
  installSteps,
  recordedWithoutDaemon,
  type MachineDeps,
} from '../../src/providers/machine/install.js';
import { agentLayout, renderAgentEnv, unitWalls } from '../../src/providers/machine/layout.js';
import { restartSteps } from '../../src/providers/machine/operate.js';
import { createSshPool } from '../../src/providers/ssh/pool.js';
import { createSshHostsProvider, splitEndpoint } from '../../src/providers/sshHosts/index.js';
import { rolesWithScribe } from '../support/daemonlessRole.js';
import { tempDir } from '../support/env.js';
import { labStepContext } from '../lab/labMachine.js';

// An agent without a daemon on a machine: its user, folder, files, env and secrets, and nothing that
// runs or listens until it is spoken to.

const tmp = tempDir();
afterAll(tmp.cleanup);
const roles = loadRoles(rolesWithScribe(tmp.dir), roleSections, chatSections);
const scribe = roles.get('scribe')!;
const swe = roles.get('swe')!;
const pool = createSshPool({ clock: systemClock, idleMs: 1_000 });
afterAll(() => pool.close());
const deps: MachineDeps = {
  clock: systemClock,
  auth: { privateKey: 'unused: these tests only build plans' },
  pool,
  sshEndpoint: splitEndpoint,
  publicHealth: () => Promise.reject(new Error('no public health here')),
  timings: { sshDeadlineMs: 1, healthDeadlineMs: 1, tlsDeadlineMs: 1, pollMs: 1, commandTimeoutMs: 1 },
};
const machine = { address: '192.0.2.7:22', login: 'root', hostKey: 'ssh-ed25519 AAAA' };

describe('the layout of an agent without a daemon', () => {
  const layout = agentLayout('bob', scribe);

  it('has its user and folders and the chat command’s file to upload, and no daemon', () => {
    expect(layout).toEqual({
      name: 'bob',
      user: 'fb-bob',
      appDir: '/srv/fleetbot/bob',
      configDir: '/etc/fleetbot-agents/bob',
      unit: 'fleetbot-bob.service',
      files: { 'acp.mjs': path.join(tmp.dir, 'agent', 'acp.mjs') },
    });
  });

  it('gets its role’s env, name and role, and no address to listen on', () => {
    expect(renderAgentEnv(layout, scribe)).toBe(
      'AGENT_MODEL="claude-sonnet-4"\nAGENT_NAME="bob"\nAGENT_ROLE="scribe"\n',
    );
    expect(renderAgentEnv(agentLayout('bob', swe), swe)).toMatch(/HOST="127\.0\.0\.1"\nPORT="3100"\n$/);
  });

  it('gives its conversations the same walls as an agent with a daemon', () => {
    const walls = unitWalls(layout, 'scribe');
    expect(walls).toEqual(unitWalls(agentLayout('bob', swe), 'scribe'));
    expect(walls).toEqual(
      expect.arrayContaining([
        'User=fb-bob',
        'EnvironmentFile=/etc/fleetbot-agents/bob/secrets.env',
        'ReadWritePaths=/srv/fleetbot/bob',
        'ProtectSystem=strict',
      ]),
    );
    expect(walls.some((w) => w.startsWith('Exec'))).toBe(false);
  });

  it('installs in one step, which records that it has no daemon', () => {
    const steps = installSteps({ deps, layout, role: scribe, secrets: {}, fqdn: 'bob.example.test' });
    expect(steps.map((s) => [s.key, s.title])).toEqual([['upload', 'Upload agent, config and secrets']]);
    const withDaemon = installSteps({
      deps,
      layout: agentLayout('bob', swe),
      role: swe,
      secrets: {},
      fqdn: 'bob.example.test',
    });
    expect(withDaemon.map((s) => s.key)).toEqual(['upload', 'start', 'health', 'caddy', 'https']);
    expect(recordedWithoutDaemon({ daemon: false })).toBe(true);
    expect(recordedWithoutDaemon({ unit: 'fleetbot-bob.service' })).toBe(false);
  });

  it('says so when its chat command names no file to upload', () => {
    const bare = { ...scribe, chat: { ...scribe.chat!, command: ['claude-agent-acp'] } };
    const steps = installSteps({ deps, layout: agentLayout('bob', bare), role: bare, secrets: {} });
    expect(steps.map((s) => s.title)).toEqual(['Create agent user, config and secrets']);
  });

  it('restarts by ending its conversations’ processes, not a service', () => {
    expect(restartSteps(deps, layout, machine).map((s) => s.title)).toEqual([
      'Stop its conversation processes (it has no service; it runs when spoken to)',
    ]);
    expect(restartSteps(deps, agentLayout('bob', swe), machine).map((s) => s.title)).toEqual([
      'Restart agent service',
      'Wait for local health',
    ]);
  });
});

describe('the ssh provider with an agent without a daemon', () => {
  const provider = createSshHostsProvider({
    hosts: [{ name: 'lab1', user: 'root', host: '192.0.2.7', port: 22 }],
    knownHosts: { keyFor: () => machine.hostKey },
    knownHostsFile: '/dev/null',
    machine: deps,
    domain: 'agents.example.test',
  });
  const agent = (resources: Record<string, unknown>): Agent =>
    ({ id: 1, name: 'bob', role: 'scribe', provider: 'ssh', resources }) as Agent;

  it('deploys no port, unit, health check or Caddy site, and records no port', async () => {
    const plan = provider.deployPlan({
      agent: agent({}),
      role: scribe,
      secrets: {},
      options: {},
      neighbours: [],
    });
    expect(plan.map((s) => s.title)).toEqual([
      'Use host lab1 (root@192.0.2.7)',
      'Wait for SSH',
      'Verify SSH host key',
      'Upload agent, config and secrets',
    ]);
    expect(await plan[0]!.run(labStepContext())).toEqual({
      host: 'lab1',
      ip: '192.0.2.7:22',
      login: 'root',
      hostKey: machine.hostKey,
    });
  });

  it('is destroyed by removing it from its host', () => {
    const recorded = agent({
      host: 'lab1',
      ip: '192.0.2.7:22',
      login: 'root',
      hostKey: machine.hostKey,
      daemon: false,
    });
    expect(provider.healthUrl?.(recorded)).toBeUndefined();
    expect(recorded.url).toBeUndefined();
    expect(provider.destroyPlan(recorded).map((s) => s.title)).toEqual(['Remove bob from lab1']);
  });
});
