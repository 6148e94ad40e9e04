import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/runtime/clock.js';
import type { Step } from '../../src/core/jobs/plan.js';
import { loadRoles } from '../../src/core/fleet/roles.js';
import { roleSections } from '../../src/providers/index.js';
import { chatSections } from '../../src/protocols/index.js';
import { installSteps, reachSteps } from '../../src/providers/machine/install.js';
import { caddySitePath, type DaemonLayout } from '../../src/providers/machine/layout.js';
import { shellWord } from '../../src/providers/machine/escape.js';
import { generateHostKey } from '../../src/providers/ssh/hostKey.js';
import { createSshPool } from '../../src/providers/ssh/pool.js';
import { connectSsh, type SshSession } from '../../src/providers/ssh/session.js';
import { startLabHost, type LabHost } from '../lab/labHost.js';
import { labMachineDeps, labStepContext } from '../lab/labMachine.js';
import { labUnavailable, runTool } from '../lab/tools.js';
import { attempted } from './tally.js';
import { daemonLayout } from '../support/machineLayout.js';

// Hostile agents on an ssh host: the lab's real OpenSSH sshd in a network namespace, where fleetbot
// logs in as root. Each agent's "code" is run as the agent's own Unix user, as its unit would run it.
// Nothing here runs systemd, so steps stop at their first systemctl; what they wrote by then is real,
// and the nftables rules they loaded are live in the host's network namespace.

const skip = labUnavailable([
  'ip',
  'unshare',
  'useradd',
  'userdel',
  'runuser',
  'setsid',
  '/usr/sbin/sshd',
  'nft',
  'curl',
]);
const login = generateHostKey('fleetbot security login');
const auth = { privateKey: login.privateKey };
const pool = createSshPool({ clock: systemClock, idleMs: 60_000 });
const domain = 'agents.example.test';
const swe = skip ? undefined : loadRoles('templates/roles', roleSections, chatSections).get('swe')!;
let host: LabHost | undefined;
let root: SshSession | undefined;

const deps = labMachineDeps(auth, pool, 20_000);
const ctx = labStepContext;

type Deployed = { layout: DaemonLayout; steps: Map<string, Step>; secret: string };
const deployed: Deployed[] = [];

/** Uploads an agent as a deploy does; the steps that need systemd are run by the attacks that need them. */
async function deploy(name: string): Promise<Deployed> {
  const machine = { address: host!.address, login: 'root', hostKey: host!.hostKey.publicKey };
  // Each its own port, as the ssh provider gives agents that share a host.
  const layout = daemonLayout(name, swe!, swe!.agent.port! + deployed.length);
  const secret = `sk-${name}-only-${Math.random().toString(36).slice(2)}`;
  const steps = installSteps({
    deps,
    layout,
    role: swe!,
    secrets: { ANTHROPIC_API_KEY: secret },
    fqdn: `${name}.${domain}`,
    fallback: machine,
  });
  for (const step of reachSteps(deps, machine)) await step.run(ctx());
  const byKey = new Map(steps.map((s) => [s.key, s]));
  await byKey.get('upload')!.run(ctx());
  const agent = { layout, steps: byKey, secret };
  deployed.push(agent);
  return agent;
}

/** Runs a step that ends at systemctl here; the files it wrote before that are what the attack checks. */
const runUpToSystemd = async (step: Step): Promise<void> => {
  await step.run(ctx()).catch((err: Error) => {
    if (!/systemctl|failed on the machine/.test(err.message)) throw err;
  });
};

const asRoot = async (command: string): Promise<string> =>
  (await root!.exec(command, { timeoutMs: 20_000 })).stdout;

/** What the agent's own code can do: a shell as its Unix user, on the machine. */
const asAgent = async (a: Deployed, script: string): Promise<string> => {
  const r = await root!.exec(`runuser -u ${shellWord(a.layout.user)} -- sh -c ${shellWord(script)}`, {
    timeoutMs: 20_000,
  });
  return r.stdout + r.stderr;
};

beforeAll(async () => {
  if (skip) return;
  host = await startLabHost(7, login.publicKey);
  root = await connectSsh(
    { host: host.address, port: 22, username: 'root', hostKey: host.hostKey.publicKey },
    auth,
    { clock: systemClock, deadlineMs: 5_000, retryDelayMs: 200 },
  );
});
afterAll(async () => {
  for (const a of deployed) {
    await a.steps
      .get('upload')
      ?.undo?.(ctx(), {})
      .catch(() => undefined);
    runTool('userdel', [a.layout.user]);
  }
  root?.close();
  pool.close();
  await host?.close();
});

describe.skipIf(skip)('a hostile agent on an ssh host (lab sshd)', () => {
  it('swaps the files root installs for symlinks before answering health: /etc/shadow and another agent’s site', async () => {
    const bob = await deploy('bob');
    await runUpToSystemd(bob.steps.get('caddy')!);
    const alice = await deploy('alice');
    const shadow = await asRoot('cat /etc/shadow');
    const bobSite = await asRoot(`cat ${caddySitePath('bob')}`);

    // Everything a deploy once copied from the agent's folder, replaced by links to what it wants.
    await asAgent(
      alice,
      [
        `cd ${shellWord(alice.layout.appDir)}`,
        'ln -sf /etc/shadow Caddyfile',
        `ln -sf ${shellWord(caddySitePath('bob'))} site.caddy`,
        `ln -sf /etc/shadow ${shellWord(alice.layout.unit)}`,
      ].join(' && '),
    );
    await runUpToSystemd(alice.steps.get('start')!);
    await runUpToSystemd(alice.steps.get('caddy')!);

    const caddyfile = await asRoot('cat /etc/caddy/Caddyfile');
    attempted(
      'ssh: agent symlinks its Caddyfile to /etc/shadow; root installs it as /etc/caddy/Caddyfile',
      caddyfile.includes(shadow.split('\n')[0]!),
    );
    const unit = await asRoot(`cat /etc/systemd/system/${alice.layout.unit}`);
    attempted(
      'ssh: agent symlinks its unit file to /etc/shadow; root installs it into /etc/systemd/system',
      unit.includes(shadow.split('\n')[0]!),
    );
    const aliceSite = await asRoot(`cat ${caddySitePath('alice')}`);
    attempted(
      'ssh: agent symlinks its site.caddy to another agent’s site, so Caddy serves bob’s name from alice',
      aliceSite.includes(`bob.${domain}`) || aliceSite === bobSite,
    );
  });

  it('reads another agent’s secrets and code on the same host', async () => {
    const [bob, alice] = [
      deployed.find((a) => a.layout.name === 'bob')!,
      deployed.find((a) => a.layout.name === 'alice')!,
    ];
    const found = await asAgent(
      alice,
      `cat ${shellWord(`${bob.layout.appDir}/server.mjs`)} ${shellWord(`${bob.layout.configDir}/secrets.env`)} ${shellWord(`${bob.layout.appDir}/secrets.env`)}; ls -la ${shellWord(bob.layout.appDir)}`,
    );
    attempted('ssh: agent reads another agent’s secrets.env on the same host', found.includes(bob.secret));
    attempted('ssh: agent reads another agent’s code on the same host', found.includes('AGENT_NAME'));

    // systemd reads the unit's env files as root: a link planted there would hand alice bob's secrets.
    await asAgent(
      alice,
      `for d in ${shellWord(alice.layout.appDir)} ${shellWord(alice.layout.configDir)}; do ln -sf ${shellWord(`${bob.layout.configDir}/secrets.env`)} "$d/secrets.env"; done`,
    );
    const unit = await asRoot(`cat /etc/systemd/system/${alice.layout.unit}`);
    const envFiles = [...unit.matchAll(/^EnvironmentFile=(.*)$/gm)].map((m) => m[1]!);
    const environment = await asRoot(envFiles.map((f) => `cat ${shellWord(f)}`).join('; '));
    attempted(
      'ssh: agent links its secrets.env to another agent’s, so systemd (root) loads them into its environment',
      environment.includes(bob.secret),
    );
  });

  it('calls another agent’s port on loopback, where the start step loaded its nftables guard', async () => {
    const [bob, alice] = [
      deployed.find((a) => a.layout.name === 'bob')!,
      deployed.find((a) => a.layout.name === 'alice')!,
    ];
    await runUpToSystemd(bob.steps.get('start')!);
    // Bob's agent as its unit would run it: systemd is not here, so its user starts a listener.
    const listener = `require('http').createServer((q, s) => s.end('bob answers')).listen(${bob.layout.daemon.port}, '127.0.0.1')`;
    await asAgent(
      bob,
      `setsid -f ${shellWord(process.execPath)} -e ${shellWord(listener)} </dev/null >/dev/null 2>&1`,
    );
    const call = `for i in 1 2 3 4 5 6 7 8 9 10; do curl -sS --max-time 3 http://127.0.0.1:${bob.layout.daemon.port}/ && break; sleep 0.5; done`;
    // Controls: root (fleetbot's health check) and bob itself reach it.
    expect(await asRoot(call)).toContain('bob answers');
    expect(await asAgent(bob, call)).toContain('bob answers');
    attempted(
      'ssh: agent calls another agent’s port on 127.0.0.1 on the same host',
      (await asAgent(alice, `curl -sS --max-time 3 http://127.0.0.1:${bob.layout.daemon.port}/`)).includes(
        'bob answers',
      ),
    );
  });

  it('leaves a setsid child behind at destroy', async () => {
    const carol = await deploy('carol');
    await asAgent(carol, 'setsid -f sleep 600 </dev/null >/dev/null 2>&1');
    const pids = (await asRoot(`pgrep -u ${shellWord(carol.layout.user)} sleep`))
      .trim()
      .split('\n')
      .filter(Boolean);
    await carol.steps.get('upload')!.undo!(ctx(), {}).catch(() => undefined);
    const alive = pids.length > 0 && (await asRoot(`ps -o pid= -p ${pids.join(',')}`)).trim() !== '';
    attempted(
      'ssh: agent moves a child into its own session (setsid); it outlives destroy',
      pids.length === 0 || alive,
    );
  });
});

if (skip) it(`machine attacks on the lab sshd skipped: ${skip}`, () => undefined);
