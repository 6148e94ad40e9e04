import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/runtime/clock.js';
import type { Step } from '../../src/core/jobs/plan.js';
import { loadRoles } from '../../src/core/fleet/roles.js';
import { roleSections } from '../../src/providers/index.js';
import { chatSections } from '../../src/protocols/index.js';
import { probeCommand } from '../../src/providers/local/sandbox.js';
import { installSteps, type MachineRef } from '../../src/providers/machine/install.js';
import { caddySitePath, portGuardTable, type DaemonLayout } from '../../src/providers/machine/layout.js';
import { shellWord } from '../../src/providers/machine/escape.js';
import { connectSsh, type SshSession } from '../../src/providers/ssh/session.js';
import { approvedDestroy } from '../support/destroy.js';
import { daemonLayout } from '../support/machineLayout.js';
import { labStepContext } from '../lab/labMachine.js';
import { vmLabUnavailable } from '../vm/lab.js';
import { startLabBot, type LabBot } from '../vm/labBot.js';
import { bridgeName } from '../vm/network.js';
import { must, tryRun } from '../vm/processes.js';
import { attempted } from './tally.js';

// Hostile agents on a hetzner server: fleetbot's real hetzner provider deploys alice onto a qemu VM
// of the VM lab (real systemd, cgroups, nftables, cloud-init), and bob joins her there as an ssh
// host's second agent would. Each attack runs as the agent's own Unix user, from an SSH shell
// (`runuser`) and from inside its unit's cgroup, where its own code would run. One VM serves all.

const unavailable = vmLabUnavailable();
const metadataAddress = '169.254.169.254';
/** What the fake metadata service hands out: user_data, with the server's private host key in it. */
const metadataSecret = `-----BEGIN OPENSSH PRIVATE KEY----- metadata-${Math.random().toString(36).slice(2)}`;
const swe = unavailable ? undefined : loadRoles('templates/roles', roleSections, chatSections).get('swe')!;

const cleanups: (() => Promise<void> | void)[] = [];
let bot: LabBot;
let root: SshSession;
let machine: MachineRef;
type Agent = { layout: DaemonLayout; steps: Map<string, Step>; secret: string };
let alice: Agent;
let bob: Agent;

const asRoot = async (command: string): Promise<string> => {
  const r = await root.exec(command, { timeoutMs: 60_000 });
  return r.stdout + r.stderr;
};
/** The agent's user from a shell: a process outside its unit, as `runuser` starts one. */
const asAgent = (a: Agent, script: string): Promise<string> =>
  asRoot(`runuser -u ${shellWord(a.layout.user)} -- sh -c ${shellWord(script)} 2>&1`);
const unitCgroup = (a: Agent) => `/sys/fs/cgroup/system.slice/${a.layout.unit}/cgroup.procs`;
/**
 * The agent's code as its unit runs it: a process moved into the unit's cgroup (where its IP
 * filters and KillMode apply), then turned into the agent's user without PAM or a new session.
 */
const inUnit = (a: Agent, script: string, user = a.layout.user): Promise<string> =>
  asRoot(
    `sh -c ${shellWord(`echo $$ > ${unitCgroup(a)} && exec setpriv --reuid=${user} --regid=${user} --init-groups -- sh -c ${shellWord(script)}`)} 2>&1`,
  );
const ctx = labStepContext;

/** A metadata service on the lab bridge, as a cloud serves one next to each server. */
async function startMetadata(): Promise<Server> {
  must('ip', ['addr', 'add', `${metadataAddress}/32`, 'dev', bridgeName]);
  cleanups.push(() => tryRun('ip', ['addr', 'del', `${metadataAddress}/32`, 'dev', bridgeName]));
  const server = createServer((_req, res) => res.end(`#cloud-config\nssh_keys: ${metadataSecret}\n`));
  await new Promise<void>((resolve) => server.listen(80, metadataAddress, resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return server;
}

/** /deploy on the console; under load a VM boot can miss its deadline, so one failed deploy is retried. */
async function deployAlice(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await bot.s.type('/deploy swe alice --provider hetzner');
    const card = bot.s.find(/Deploy alice/)!.versions.at(-1)!;
    if (/^✅ Done: Deploy alice/.test(card)) return;
    if (attempt === 2) throw new Error(`deploying alice failed twice:\n${card}`);
    console.log(`[vm security] first deploy failed, retrying once:\n${card}`);
  }
}

/** The install steps of an agent on the VM, as the ssh provider builds them for a second agent. */
function installOn(name: string, port: number, secret: string): Agent {
  const layout = daemonLayout(name, swe!, port);
  const steps = installSteps({
    deps: bot.machine,
    layout,
    role: swe!,
    secrets: { ANTHROPIC_API_KEY: secret },
    fqdn: `${name}.agents.example.test`,
    fallback: machine,
  });
  return { layout, steps: new Map(steps.map((s) => [s.key, s])), secret };
}

const runSteps = async (a: Agent, keys: string[]): Promise<void> => {
  for (const key of keys) await a.steps.get(key)!.run(ctx());
};

const pidsOf = async (user: string, program: string): Promise<string[]> =>
  (await asRoot(`pgrep -u ${shellWord(user)} -x ${program} || true`)).trim().split('\n').filter(Boolean);
const anyAlive = async (pids: string[]): Promise<boolean> =>
  pids.length > 0 && (await asRoot(`ps -o pid= -p ${pids.join(',')} || true`)).trim() !== '';

describe.skipIf(unavailable !== undefined)(
  'a hostile agent on a hetzner server (VM lab, real systemd)',
  () => {
    beforeAll(async () => {
      bot = await startLabBot(
        (fn) => void cleanups.push(fn),
        (line) => console.log(`[lab image] ${line}`),
        // Emulated, on a busy host, a boot has taken over production's 3 minutes.
        { sshDeadlineMs: 8 * 60_000 },
      );
      await startMetadata();
      await deployAlice();
      const record = bot.s.bot.store.agents.live('alice')!;
      const [server] = bot.hetzner.servers();
      machine = { address: server!.ipv4!, login: 'root', hostKey: String(record.resources.hostKey) };
      root = await connectSsh(
        { host: machine.address, port: 22, username: 'root', hostKey: machine.hostKey },
        { privateKey: bot.login.privateKey },
        { clock: systemClock, deadlineMs: 30_000 },
      );
      cleanups.push(() => root.close());
      // A cloud's DHCP routes the metadata address; the lab's gives no routes, so root adds it.
      await asRoot(
        `ip route add ${metadataAddress}/32 dev "$(ip -o route get 10.79.0.1 | awk '{print $3}')"`,
      );

      alice = installOn('alice', swe!.agent.port!, 'sk-ant-very-secret');
      bob = installOn('bob', swe!.agent.port! + 1, `sk-bob-only-${Math.random().toString(36).slice(2)}`);
      await runSteps(bob, ['upload', 'start', 'health', 'caddy']);
    }, 25 * 60_000);
    afterAll(async () => {
      for (const fn of cleanups.splice(0).reverse()) await fn();
    }, 120_000);

    it('reaches the metadata service as root only: not as the agent’s user, not from inside its unit', async () => {
      const url = `http://${metadataAddress}/hetzner/v1/userdata`;
      const fetch = `curl -sS --max-time 5 ${url}`;
      // Controls: the service is really there, and the unit's own filter holds even for root.
      expect(await asRoot(fetch)).toContain(metadataSecret);
      expect(await inUnit(alice, fetch, 'root')).not.toContain(metadataSecret);

      attempted(
        'hetzner: agent’s user fetches user_data (the host key) from the metadata service',
        (await asAgent(alice, fetch)).includes(metadataSecret),
      );
      attempted(
        'hetzner: agent’s own code, inside its unit’s cgroup, fetches user_data from the metadata service',
        (await inUnit(alice, fetch)).includes(metadataSecret),
      );
      const copies = 'cat /var/lib/cloud/instance/user-data.txt /etc/ssh/ssh_host_ed25519_key';
      expect(await asRoot(copies)).toContain('PRIVATE KEY');
      const stored = await asAgent(alice, copies);
      attempted(
        'hetzner: agent reads the server’s private host key from cloud-init’s copy of user_data or /etc/ssh',
        stored.includes('PRIVATE KEY'),
      );
    });

    it('cannot reach another agent’s port on loopback; root and that agent itself can', async () => {
      const health = (port: number) => `curl -sS --max-time 5 http://127.0.0.1:${port}/health`;
      const bobName = /"name":"bob"/;
      // Controls: bob answers root (the health check), and itself.
      expect(await asRoot(health(bob.layout.daemon.port))).toMatch(bobName);
      expect(await inUnit(bob, health(bob.layout.daemon.port))).toMatch(bobName);

      attempted(
        'hetzner: agent calls another agent’s port on 127.0.0.1',
        bobName.test(await asAgent(alice, health(bob.layout.daemon.port))),
      );
      attempted(
        'hetzner: agent’s own code, inside its unit, calls another agent’s port on 127.0.0.1',
        bobName.test(await inUnit(alice, health(bob.layout.daemon.port))),
      );
      await asAgent(alice, `nft delete table inet ${portGuardTable('bob')}`);
      attempted(
        'hetzner: agent removes the rule that guards another agent’s port',
        !(await asRoot(`nft list table inet ${portGuardTable('bob')}`)).includes('reject'),
      );

      // A reboot empties the kernel's rules: the unit loads its guard again at every start.
      await asRoot(`nft delete table inet ${portGuardTable('bob')} && systemctl restart ${bob.layout.unit}`);
      const rules = await asRoot(`nft list table inet ${portGuardTable('bob')}`);
      expect(rules.match(/reject with tcp reset/g)).toHaveLength(1);
      attempted(
        'hetzner: agent calls another agent’s port after that agent’s unit started again without its rule',
        bobName.test(await asAgent(alice, health(bob.layout.daemon.port))),
      );
    });

    it('reads neither another agent’s secrets and code nor the files fleetbot installed as root', async () => {
      // Only what the reads print: error messages name the files too.
      const read = (files: string[]) => asAgent(alice, `cat ${files.join(' ')} 2>/dev/null; true`);
      attempted(
        'hetzner: agent reads another agent’s secrets.env and agent.env in /etc/fleetbot-agents',
        (await read([`${bob.layout.configDir}/secrets.env`, `${bob.layout.configDir}/agent.env`])).includes(
          bob.secret,
        ),
      );
      attempted(
        'hetzner: agent reads another agent’s code',
        (await read([`${bob.layout.appDir}/server.mjs`])).includes('AGENT_NAME'),
      );
      attempted(
        'hetzner: agent reads another agent’s environment from /proc',
        (await read([`/proc/$(pgrep -u ${bob.layout.user} -x node | head -1)/environ`])).includes(bob.secret),
      );
      attempted(
        'hetzner: agent lists another agent’s config or app folder',
        (
          await asAgent(alice, `ls -A ${bob.layout.configDir} ${bob.layout.appDir} 2>/dev/null; true`)
        ).trim() !== '',
      );
      const planted = await asAgent(
        alice,
        `ln -sf /etc/shadow ${alice.layout.configDir}/port.nft 2>/dev/null && echo planted; echo x 2>/dev/null >> ${bob.layout.configDir}/port.nft && echo appended; true`,
      );
      attempted(
        'hetzner: agent plants a link or writes into the root-owned config folders',
        /planted|appended/.test(planted),
      );
    });

    it('swaps the files root installs for symlinks and leaves a setsid child; root re-installs and /restart: nothing is followed, the child ends', async () => {
      const shadowLine = (await asRoot('head -1 /etc/shadow')).trim();
      await asAgent(
        alice,
        [
          `cd ${alice.layout.appDir}`,
          'ln -sf /etc/shadow Caddyfile',
          `ln -sf ${caddySitePath('bob')} site.caddy`,
          `ln -sf /etc/shadow ${alice.layout.unit}`,
          'ln -sf /etc/shadow port.nft',
          `ln -sf ${bob.layout.configDir}/secrets.env secrets.env`,
          `ln -sf ${bob.layout.configDir}/secrets.env agent.env`,
        ].join(' && '),
      );
      await inUnit(alice, 'setsid -f sleep 1001 </dev/null >/dev/null 2>&1');
      const children = await pidsOf(alice.layout.user, 'sleep');
      expect(children, 'the child did not start').toHaveLength(1);

      // The re-install paths: a resumed deploy reruns the start and Caddy steps; /restart restarts.
      await runSteps(alice, ['start', 'caddy']);
      await bot.s.type('/restart alice');
      expect(bot.s.find(/Restart alice/)!.versions.at(-1)).toMatch(/^✅ Done: Restart alice/);

      attempted(
        'hetzner: agent’s setsid child (in its unit’s cgroup) outlives /restart',
        await anyAlive(children),
      );
      const written = await asRoot(
        `cat /etc/caddy/Caddyfile ${caddySitePath('alice')} /etc/systemd/system/${alice.layout.unit} ${alice.layout.configDir}/*`,
      );
      attempted(
        'hetzner: agent symlinks the files root installs to /etc/shadow; root writes a copy of it',
        written.includes(shadowLine),
      );
      attempted(
        'hetzner: agent symlinks its site.caddy to another agent’s; Caddy serves bob’s name from alice',
        (await asRoot(`cat ${caddySitePath('alice')}`)).includes('bob.agents.example.test'),
      );
      const environment = await asRoot(
        `tr '\\0' '\\n' < /proc/$(systemctl show -p MainPID --value ${alice.layout.unit})/environ`,
      );
      expect(environment).toContain('AGENT_NAME=alice');
      attempted(
        'hetzner: agent links its env files to another agent’s; systemd loads bob’s secrets into alice',
        environment.includes(bob.secret),
      );
      const copies = await asRoot(
        `grep -rlF ${shellWord(shadowLine)} /etc/caddy /etc/systemd/system /etc/fleetbot-agents /srv/fleetbot 2>/dev/null || true`,
      );
      attempted('hetzner: a copy of /etc/shadow is left anywhere fleetbot writes', copies.trim() !== '');
    });

    it('leaves setsid children behind, in its unit and outside it: they end when it is removed from the machine', async () => {
      await inUnit(bob, 'setsid -f sleep 1002 </dev/null >/dev/null 2>&1');
      await asAgent(bob, 'setsid -f sleep 1003 </dev/null >/dev/null 2>&1');
      const children = await pidsOf(bob.layout.user, 'sleep');
      expect(children, 'the children did not start').toHaveLength(2);
      // Destroying an agent on a shared machine: the upload step's undo removes it from the host.
      await bob.steps.get('upload')!.undo!(ctx(), {});
      attempted(
        'hetzner: agent’s setsid children (in its unit and outside it) outlive its removal from the machine',
        await anyAlive(children),
      );
      expect(await asRoot(`nft list table inet ${portGuardTable('bob')} 2>&1 || true`)).toMatch(
        /No such file/,
      );
    });

    it('the shipped fleetbot unit lets bubblewrap start the local sandbox, under the VM’s real systemd', async () => {
      const properties = shippedHardening();
      const probe = await presentOnVm(probeCommand('/usr/bin/bwrap'));
      await asRoot('id -u fleetbot >/dev/null 2>&1 || useradd --system fleetbot');
      const underUnit = (props: string[]) =>
        asRoot(
          `timeout 50 systemd-run --quiet --wait --pipe --collect ${props.map((p) => `-p ${shellWord(p)}`).join(' ')} -- ${probe.map(shellWord).join(' ')}; echo "exit $?"`,
        );
      expect(await underUnit(properties)).toMatch(/^exit 0$/m);
      // Control: the unit as it was (every namespace forbidden) refuses the same sandbox.
      const strict = properties.map((p) =>
        p.startsWith('RestrictNamespaces=') ? 'RestrictNamespaces=yes' : p,
      );
      expect(await underUnit(strict)).not.toMatch(/^exit 0$/m);
    });

    it('after the attacks, /destroy removes alice’s server', async () => {
      const destroy = await approvedDestroy(bot.s, 'alice');
      expect(destroy).toMatch(/^✅ Done: Destroy alice/);
      expect(bot.hetzner.servers()).toEqual([]);
    });
  },
);

/**
 * The shipped unit's [Service] settings that confine fleetbot (and so its sandboxes), as
 * systemd-run properties; the ones about starting fleetbot itself (its command, files, credentials,
 * restarts) are left out.
 */
function shippedHardening(): string[] {
  const startup =
    /^(Type|ExecStart|WorkingDirectory|EnvironmentFile|Environment|LoadCredential|Restart|RestartSec|TimeoutStopSec|KillMode|StateDirectory|StateDirectoryMode)=/;
  const text = readFileSync('deploy/systemd/fleetbot.service', 'utf8');
  const service = text.slice(text.indexOf('[Service]'), text.indexOf('[Install]'));
  return service.split('\n').filter((l) => /^[A-Z]\w*=/.test(l) && !startup.test(l));
}

/** The probe as fleetbot runs it, without binds of files this minimal image does not have. */
async function presentOnVm(command: string[]): Promise<string[]> {
  const sources = command.flatMap((arg, i) => (command[i - 1] === '--ro-bind' ? [arg] : []));
  const present = new Set(
    (await asRoot(`for p in ${sources.map(shellWord).join(' ')}; do [ -e "$p" ] && echo "$p"; done; true`))
      .split('\n')
      .filter(Boolean),
  );
  return command.flatMap((arg, i) => {
    if (arg === '--ro-bind' && !present.has(command[i + 1]!)) return [];
    if (command[i - 1] === '--ro-bind' && !present.has(arg)) return [];
    if (command[i - 2] === '--ro-bind' && !present.has(command[i - 1]!)) return [];
    return [arg];
  });
}

if (unavailable) it(`hostile agents on a VM skipped: ${unavailable}`, () => undefined);
