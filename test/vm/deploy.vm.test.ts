import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellWord } from '../../src/providers/machine/escape.js';
import { agentUserOf, appDirOf, configDirOf } from '../../src/providers/machine/layout.js';
import { connectSsh } from '../../src/providers/ssh/session.js';
import { approvedDestroy } from '../support/destroy.js';
import { deployPhases } from '../support/hetznerDeploy.js';
import { first, readJournal } from './journal.js';
import { labDir, vmLabUnavailable } from './lab.js';
import { startLabBot, type LabBot } from './labBot.js';
import { bridgeName } from './network.js';
import { cardPhases, pollWaiting, resultsFile, writeResults } from './phases.js';

const unavailable = vmLabUnavailable();

const cleanups: (() => Promise<void> | void)[] = [];
let bot: LabBot;
const results: Record<string, unknown> = {};

const finalCard = (pattern: RegExp): string => bot.s.find(pattern)!.versions.at(-1)!;
/** Processes started for the lab (qemu, dnsmasq, pebble): each names a file in the lab folder. */
const labProcesses = (): string[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return cmdline.includes(labDir) ? [cmdline.replaceAll('\0', ' ')] : [];
      } catch {
        return [];
      }
    });

describe.skipIf(unavailable !== undefined)('hetzner deploy on real VMs (VM lab)', () => {
  beforeAll(async () => {
    bot = await startLabBot(
      (fn) => void cleanups.push(fn),
      (line) => console.log(`[lab image] ${line}`),
      // Production waits 90 s for health; here the agent answers in about 12 s, and the broken role's
      // scenario waits the whole of it.
      { healthDeadlineMs: 40_000 },
    );
  });
  afterAll(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
    writeResults(results);
    console.log(`VM lab phase timings: ${resultsFile}`);
  });

  it('/deploy swe alice --provider hetzner passes every phase on a real machine with a pebble certificate', async () => {
    const { s, hetzner, cloudflare, login, machine } = bot;
    await s.type('/deploy swe alice --provider hetzner');
    const card = finalCard(/Deploy alice/);
    results.deploy = cardPhases(card);
    const [server] = hetzner.servers();
    expect(card, server ? bot.lab.vms.console(server.id) : 'no server').toMatch(
      /^✅ Done: Deploy alice \(swe, hetzner\)/,
    );
    const lines = card.split('\n');
    const order = deployPhases.map((p) => lines.findIndex((l) => l.startsWith(`✅ ${p} · `)));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order.every((i) => i > 0)).toBe(true);

    // The server's public address is its bridge address, and the DNS record points there.
    expect(server!.ipv4).toMatch(/^10\.79\.0\.\d+$/);
    expect(cloudflare.records()).toEqual([
      expect.objectContaining({ type: 'A', name: 'alice.agents.example.test', content: server!.ipv4 }),
    ]);

    // The machine presents the host key fleetbot generated and put in user_data: the pinned session works.
    const agent = s.bot.store.agents.live('alice')!;
    const hostKey = String(agent.resources.hostKey);
    expect(server!.userData).toContain(hostKey);
    const ssh = await connectSsh(
      { host: server!.ipv4!, port: 22, username: 'root', hostKey },
      { privateKey: login.privateKey },
      { clock: machine.clock, deadlineMs: 30_000 },
    );
    try {
      const presented = await ssh.exec('cat /etc/ssh/ssh_host_ed25519_key.pub', { timeoutMs: 30_000 });
      expect(presented.stdout.split(' ').slice(0, 2)).toEqual(hostKey.split(' ').slice(0, 2));

      // Caddy started only after the agent answered its local health check.
      const journal = await readJournal(ssh, ['fleetbot-alice.service', 'caddy.service', 'ssh.service']);
      const answered = first(journal, 'fleetbot-alice.service', /GET \/health 200/);
      const caddy = journal.find((e) => e.unit === 'caddy.service');
      expect(answered, 'the agent never answered /health').toBeDefined();
      expect(caddy, 'Caddy never started').toBeDefined();
      expect(caddy!.at).toBeGreaterThan(answered!.at);
      // The certificate came from pebble, after a real HTTP-01 validation.
      const certificate = first(journal, 'caddy.service', /certificate obtained successfully/);
      expect(certificate?.message).toContain('alice.agents.example.test');

      // What share of the deploy fleetbot spent polling after the machine was already ready.
      const before = Date.now();
      const guestNow = Number((await ssh.exec('date +%s%3N', { timeoutMs: 30_000 })).stdout);
      const skew = guestNow - (before + Date.now()) / 2;
      const job = Number(/job #(\d+)/.exec(card)![1]);
      results.deployWaiting = pollWaiting(s.bot.store.steps.forJob(job), {
        sshd: first(journal, 'ssh.service', /Server listening/)!.at - skew,
        agent: first(journal, 'fleetbot-alice.service', /listening on/)!.at - skew,
        certificate: certificate!.at - skew,
      });
      const unit = await ssh.exec('systemctl show fleetbot-alice.service -p ProtectSystem -p ActiveState', {
        timeoutMs: 30_000,
      });
      expect(unit.stdout).toContain('ProtectSystem=strict');
      expect(unit.stdout).toContain('ActiveState=active');
    } finally {
      ssh.close();
    }
  });

  it('/ask alice answers from the VM, writes in its folder once allowed, and chats on inside its walls', async () => {
    const { s, hetzner, login, machine } = bot;
    const [server] = hetzner.servers();
    const hostKey = String(s.bot.store.agents.live('alice')!.resources.hostKey);
    const ssh = await connectSsh(
      { host: server!.ipv4!, port: 22, username: 'root', hostKey },
      { privateKey: login.privateKey },
      { clock: machine.clock, deadlineMs: 30_000 },
    );
    const asRoot = async (command: string): Promise<string> =>
      (await ssh.exec(command, { timeoutMs: 30_000 })).stdout;
    const user = agentUserOf('alice');
    const notes = shellWord(`${appDirOf('alice')}/notes.txt`);
    // A turn's process starts over SSH and node under emulation: seconds, not milliseconds.
    const turnMs = 90_000;
    const conversations = () =>
      s.bot.store.db
        .prepare<[], { conversation_id: number; status: string }>(
          'SELECT conversation_id, status FROM turns ORDER BY id',
        )
        .all();
    /** Waits until every turn so far has ended with its answer in full (its last edit printed). */
    const answered = (count: number) =>
      expect
        .poll(() => conversations().map((t) => t.status), { timeout: turnMs, interval: 100 })
        .toEqual(Array<string>(count).fill('answered'));
    /** What a person sees of an answer: the final version of the message that matched. */
    const answer = (pattern: RegExp): string => s.find(pattern)!.versions.at(-1)!;
    try {
      const asked = Date.now();
      await s.type('/ask alice hello');
      await s.shows(/I am the reference agent, running without a model/, turnMs);
      results.firstAnswerSeconds = Math.round((Date.now() - asked) / 100) / 10;

      await s.type('/ask alice write notes.txt hello from the VM lab');
      await s.shows(/alice asks permission/, turnMs);
      const card = answer(/alice asks permission/);
      expect(card).toContain('Write notes.txt');
      expect(await asRoot(`test -e ${notes} && echo there || echo absent`)).toBe('absent\n');
      await s.type(/\[(\d+)\] Allow once/.exec(card)![1]!);
      await s.shows(/Wrote 22 bytes to notes\.txt\./, turnMs);
      expect(answer(/alice asked: Write notes\.txt/)).toMatch(/Allowed once by console:local/);
      expect(await asRoot(`stat -c %U ${notes} && cat ${notes}`)).toBe(`${user}\nhello from the VM lab\n`);

      // A follow-up in /chat carries on the same conversation, on the process kept since the write.
      await s.type('/chat alice');
      expect(s.lastText()).toMatch(/Your messages here now go to alice/);
      await s.type('read notes.txt');
      await s.shows(/notes\.txt:\n```\nhello from the VM lab\n/, turnMs);
      await answered(3);
      const turns = conversations();
      expect(turns[2]!.conversation_id).toBe(turns[1]!.conversation_id);
      expect(turns[1]!.conversation_id).not.toBe(turns[0]!.conversation_id);

      // That process is the agent's user in a unit of its own with the agent unit's walls.
      const processes = await asRoot('ps -o user:32=,unit:80=,args= -C node');
      const conversation = processes.split('\n').find((l) => l.includes('acp.mjs'));
      expect(conversation, processes).toMatch(
        new RegExp(
          `^${user} +(fleetbot-conversation-[0-9a-f]+\\.service) +\\S*node /srv/fleetbot/alice/acp\\.mjs$`,
        ),
      );
      const unit = / (\S+\.service) /.exec(conversation!)![1]!;
      const walls = await asRoot(`systemctl show ${unit} -p User -p ProtectSystem -p ReadWritePaths`);
      expect(walls.split('\n').filter(Boolean).sort()).toEqual([
        'ProtectSystem=strict',
        'ReadWritePaths=/srv/fleetbot/alice',
        `User=${user}`,
      ]);

      // Asked to show its secrets file, the agent cannot read it: the person sees the refusal.
      await s.type(`run cat ${configDirOf('alice')}/secrets.env`);
      await s.shows(/alice asks permission\nRun cat /, turnMs);
      await s.type(/\[(\d+)\] Allow once/.exec(answer(/alice asks permission\nRun cat /))![1]!);
      await s.shows(/secrets\.env: Permission denied/, turnMs);
      await answered(4);
      await s.type('/chat off');
      // No answer carries the secret the agent's environment holds.
      expect(s.output()).not.toContain('sk-ant-very-secret');
      expect(await asRoot(`cat /proc/$(pgrep -n -u ${user} -f acp.mjs)/environ | tr '\\0' '\\n'`)).toContain(
        'ANTHROPIC_API_KEY=sk-ant-very-secret',
      );
    } finally {
      ssh.close();
    }
  });

  it('/logs shows the journal, /restart restarts the unit, /destroy removes the VM and the record', async () => {
    const { s, hetzner, cloudflare } = bot;
    await s.type('/logs alice -n 5');
    // The conversations above hold their SSH connections: /logs may have to open a new one first.
    await s.shows(/Last \d+ log lines of alice/, 30_000);
    expect(s.lastText()).toMatch(/Last \d+ log lines of alice/);
    expect(s.lastText()).toContain('GET /health 200');

    await s.type('/restart alice');
    const restart = finalCard(/Restart alice/);
    results.restart = cardPhases(restart);
    expect(restart).toMatch(/^✅ Done: Restart alice/);
    await s.type('/status alice');
    expect(s.lastText()).toMatch(/✅ healthy/);

    const [server] = hetzner.servers();
    const destroy = await approvedDestroy(s, 'alice');
    results.destroy = cardPhases(destroy);
    expect(destroy).toMatch(/^✅ Done: Destroy alice/);
    expect(hetzner.servers()).toEqual([]);
    expect(cloudflare.records()).toEqual([]);
    expect(existsSync(`${labDir}/qemu-${server!.id}.pid`)).toBe(false);
    expect(existsSync(`${labDir}/server-${server!.id}.qcow2`)).toBe(false);
  });

  it('a role whose agent cannot start fails at the local health check with its journal, and rolls back', async () => {
    const { s, hetzner, cloudflare } = bot;
    await s.type('/deploy broken bob --provider hetzner');
    const card = finalCard(/Deploy bob/);
    results.brokenDeploy = cardPhases(card);
    expect(card).toMatch(/^❌ Failed, rolled back: Deploy bob/);
    const failed = card.split('\n').find((l) => l.startsWith('❌ Wait for local health: '));
    expect(failed).toMatch(/bob on the machine gave no healthy answer within 40 s/);
    expect(failed).toContain('Its last output: broken agent: no model configured, exiting');
    expect(card).toContain('↩️ Create server: cleaned up');
    expect(hetzner.servers()).toEqual([]);
    expect(cloudflare.records()).toEqual([]);
  });
});

describe.skipIf(unavailable !== undefined)('after the VM lab', () => {
  it('left no VM, bridge or helper process behind', () => {
    expect(existsSync(labDir)).toBe(false);
    expect(readFileSync('/proc/net/dev', 'utf8')).not.toContain(bridgeName);
    expect(labProcesses()).toEqual([]);
  });
});
