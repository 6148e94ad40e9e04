import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/runtime/clock.js';
import { createSshHostsProvider, splitEndpoint } from '../src/providers/sshHosts/index.js';
import { parseKnownHosts } from '../src/providers/ssh/knownHosts.js';
import { generateHostKey } from '../src/providers/ssh/hostKey.js';
import { createSshPool } from '../src/providers/ssh/pool.js';
import { startConsoleBot } from './support/consoleSession.js';
import { useCleanups } from './support/cleanups.js';
import { approvedDestroy } from './support/destroy.js';
import { tempDir } from './support/env.js';
import { fakeMachines } from './support/fakeMachines.js';

const defer = useCleanups();

/** One host someone already has, with a domain, so agents there get HTTPS through the host's one Caddy. */
async function setup() {
  const tmp = tempDir();
  defer(tmp.cleanup);
  const machines = fakeMachines(undefined, { sshDelayMs: 0 });
  defer(() => machines.close());
  const login = generateHostKey('fleetbot login');
  const hostKey = generateHostKey('lab1');
  const lab1 = await machines.add(
    'lab1',
    { hostKey: hostKey.privateKey, authorizedKey: login.publicKey, username: 'agent' },
    0,
  );
  for (let i = 0; i < 200 && !lab1.ssh; i++) await new Promise((r) => setTimeout(r, 10));
  const pool = createSshPool({ clock: systemClock, idleMs: 60_000 });
  defer(() => pool.close());
  const knownHostsFile = path.join(tmp.dir, 'known_hosts');
  const provider = createSshHostsProvider({
    hosts: [{ name: 'lab1', user: 'agent', host: '127.0.0.1', port: lab1.sshPort }],
    knownHosts: parseKnownHosts(`[127.0.0.1]:${lab1.sshPort} ${hostKey.publicKey}\n`, knownHostsFile),
    knownHostsFile,
    domain: 'agents.example.test',
    machine: {
      clock: systemClock,
      auth: { privateKey: login.privateKey },
      pool,
      sshEndpoint: splitEndpoint,
      publicHealth: machines.publicHealth,
      timings: {
        sshDeadlineMs: 2_000,
        healthDeadlineMs: 2_000,
        tlsDeadlineMs: 2_000,
        pollMs: 25,
        commandTimeoutMs: 5_000,
      },
    },
  });
  const s = await startConsoleBot(
    tmp.dir,
    { ANTHROPIC_API_KEY: 'sk-ant-very-secret' },
    { providers: [provider] },
  );
  defer(() => s.stop());
  return { s, machines, file: (remote: string) => machines.file('lab1', remote) };
}

describe('Caddy on a host that several agents share', () => {
  it('gives each agent a site of its own, and destroy removes only its own while the others keep serving', async () => {
    const { s, machines, file } = await setup();
    const check = (name: string) =>
      machines.publicHealth(`https://${name}.agents.example.test/health`, AbortSignal.timeout(2_000));
    for (const name of ['alice', 'bob']) {
      await s.type(`/deploy swe ${name} --provider ssh`);
      const final = s.find(new RegExp(`Deploy ${name}`))!.versions.at(-1)!;
      expect(final).toMatch(new RegExp(`^✅ Done: Deploy ${name} \\(swe, ssh\\)`));
      expect(final).toContain(`✅ Check https://${name}.agents.example.test/health · `);
    }
    expect(readFileSync(file('/etc/caddy/Caddyfile'), 'utf8')).toMatch(/^import fleetbot\.d\/\*\.caddy$/m);
    expect(readFileSync(file('/etc/caddy/fleetbot.d/alice.caddy'), 'utf8')).toMatch(
      /^alice\.agents\.example\.test \{\n\treverse_proxy 127\.0\.0\.1:3100\n\}$/m,
    );
    expect(readFileSync(file('/etc/caddy/fleetbot.d/bob.caddy'), 'utf8')).toMatch(
      /^bob\.agents\.example\.test \{\n\treverse_proxy 127\.0\.0\.1:3101\n\}$/m,
    );
    // Deploying bob reloaded Caddy with both sites: alice still answers at her name.
    expect((await check('alice')).state).toBe('healthy');

    const destroyCard = await approvedDestroy(s, 'alice');
    expect(destroyCard).toMatch(/^✅ Done: Destroy alice/);
    expect(existsSync(file('/etc/caddy/fleetbot.d/alice.caddy'))).toBe(false);
    expect((await check('alice')).state).toBe('unhealthy');
    expect(await check('bob')).toMatchObject({ state: 'healthy' });
    expect([...machines.machines.get('lab1')!.caddy!.keys()]).toEqual(['bob.agents.example.test']);
  });
});
