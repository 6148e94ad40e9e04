import { spawn, type ChildProcess } from 'node:child_process';
import type { ServerChannel } from 'ssh2';
import {
  closeSync,
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { createServer as netServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { FakeHetzner } from '../fakes/hetzner/index.js';
import { generateHostKey } from '../../src/providers/ssh/hostKey.js';
import { tempDir } from './env.js';
import { machineAccess, type MachineDirectory } from './machineDirectory.js';
import { startSshServer, type ExecReply, type SshTestServer } from './sshServer.js';
import { startStandInAgent } from './standInAgent.js';

/** Splits a command line the way sh would for the simple quoting fleetbot uses ('…' and '\''). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let current: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) throw new Error(`unterminated quote in ${line}`);
      current = (current ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '\\') {
      current = (current ?? '') + line[++i]!;
    } else if (c === ' ') {
      if (current !== undefined) words.push(current);
      current = undefined;
    } else current = (current ?? '') + c;
  }
  if (current !== undefined) words.push(current);
  return words;
}

const unquoteSystemd = (text: string): string[] =>
  [...text.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) =>
    m[1]!.replace(/\\(.)/g, '$1').replaceAll('%%', '%').replaceAll('$$', '$'),
  );

const parseEnv = (text: string): Record<string, string> =>
  Object.fromEntries(
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const eq = line.indexOf('=');
        return [line.slice(0, eq), line.slice(eq + 2, -1).replace(/\\(.)/g, '$1')];
      }),
  );

const handedOut = new Set<number>();

/**
 * A port nothing listens on, never handed out before in this process: machines listen on theirs only
 * later (sshd after boot), and the OS would otherwise offer the same free port to two of them.
 */
const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = netServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      const fresh = !handedOut.has(port);
      handedOut.add(port);
      s.close(() => resolve(fresh ? port : freePort()));
    });
  });

/** A journal entry: `unit` is set by journald from the writer's cgroup, `identifier` by the writer. */
export type JournalEntry = { unit: string; identifier: string; message: string };

/**
 * One fake "VM" per server the fake Hetzner creates (or per host a test adds): its SSH (ssh2's server)
 * comes up some time after boot with the host key and login key from the server's cloud-init (or the
 * ones given), and it carries out the commands
 * fleetbot sends against a folder standing in for its disk: systemd units really start the agent as a
 * local process, `curl` really asks it, and "Caddy" is an HTTP proxy configured from the uploaded
 * Caddyfile. A command it does not know exits 127, so drift between fleetbot and this stand-in shows.
 */
export type MachineFault =
  'wrong-host-key' | 'folder-fails' | 'no-nftables' | 'unit-fails' | 'no-health' | 'caddy-fails' | 'no-https';

export type MachineTimings = {
  /** sshd answers this long after the server is created (so the SSH gap is this minus the boot). */
  sshDelayMs: number;
  /** Told the new directory whenever it changes (a machine comes or goes, a Caddy starts). */
  onChange?: (directory: MachineDirectory) => void;
  /** The agent's health endpoint fails for this long after its unit starts, as a slow runtime would. */
  healthDelayMs?: number;
  /** HTTPS fails for this long after Caddy starts, as while it obtains a certificate. */
  tlsDelayMs?: number;
};

export type MachineOptions = MachineTimings & {
  /** Units answer health from this process instead of starting the agent's Node process (benchmarks). */
  standInAgents?: boolean;
};

export function fakeMachines(hetzner: FakeHetzner | undefined, opts: MachineOptions) {
  let fault: MachineFault | undefined;
  type Machine = {
    root: string;
    cleanup: () => void;
    sshPort: number;
    ssh?: SshTestServer;
    /** Running agent units: each listens on the port its env file names (here, a free local one). */
    agents: Map<string, { stop: () => void; port: number; localPort: number; startedAt: number }>;
    /** "Caddy": one local HTTP server per site, as HTTPS on port 443 would tell sites apart by name. */
    caddy?: Map<string, { upstream: number; server: Server; port: number }>;
    caddyStartedAt?: number;
    /** What happened, in order, for assertions about ordering (agent healthy before Caddy). */
    events: string[];
    /** Unix users made with useradd: an agent's files are written as its own user. */
    users: Set<string>;
  };
  const machines = new Map<string, Machine>();
  const selfLogged: JournalEntry[] = [];

  const local = (m: Machine, remote: string): string => path.join(m.root, path.resolve('/', remote));

  /** Conversations' processes by their tag (`fleetbot-conversation-…`), each killed by its tag. */
  const conversations = new Map<string, ChildProcess>();

  /**
   * A conversation's process, as fleetbot starts it over SSH (`… sh -c <script> <tag> <argv…>`): its
   * argv runs here with the machine's paths mapped onto its folder, in the agent's folder, with the
   * agent's env and secrets files, its stdio the SSH channel's.
   */
  const converse = (m: Machine, command: string, channel: ServerChannel): boolean => {
    const words = shellWords(command);
    const at = words.findIndex((w) => w.startsWith('fleetbot-conversation-'));
    if (at === -1) return false;
    const script = words[at - 1]!;
    const appDir = /^cd (\S+) &&/.exec(script)?.[1] ?? '/';
    const envFiles = [...script.matchAll(/\. (\S+\.env)/g)].map((x) => x[1]!);
    const env: Record<string, string> = { PATH: '/usr/bin:/bin', HOME: `${local(m, appDir)}/home` };
    for (const file of envFiles)
      if (existsSync(local(m, file))) Object.assign(env, parseEnv(readFileSync(local(m, file), 'utf8')));
    const [program, ...args] = words.slice(at + 1).map((a) => (a.startsWith('/') ? local(m, a) : a));
    mkdirSync(env.HOME!, { recursive: true });
    const child = spawn(program === 'node' ? process.execPath : program!, args, {
      cwd: local(m, appDir),
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    conversations.set(words[at]!, child);
    channel.pipe(child.stdin);
    child.stdout.pipe(channel, { end: false });
    child.stderr.on('data', (chunk: Buffer) => channel.stderr.write(chunk));
    child.stdin.on('error', () => undefined);
    channel.on('close', () => child.kill('SIGKILL'));
    child.on('exit', (code, signal) => {
      conversations.delete(words[at]!);
      channel.exit(code ?? (signal ? 128 + 9 : 1));
      channel.end();
    });
    child.on('error', (err) => {
      channel.stderr.write(`${err.message}\n`);
      channel.exit(127);
      channel.end();
    });
    return true;
  };

  /** A user's uid on the machine: in the order useradd made them, from 1000. */
  const uidOf = (m: Machine, user: string): number => 1000 + [...m.users].indexOf(user);

  const stopAgent = (m: Machine, unit: string): void => {
    m.agents.get(unit)?.stop();
    m.agents.delete(unit);
  };
  const agentOn = (m: Machine, port: number | undefined) =>
    [...m.agents.values()].find((a) => a.port === port);

  const startUnit = async (m: Machine, unit: string): Promise<void> => {
    const text = readFileSync(local(m, `/etc/systemd/system/${unit}`), 'utf8');
    const setting = (key: string): string[] =>
      [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((x) => x[1]!);
    const env: Record<string, string> = {};
    for (const file of setting('EnvironmentFile'))
      Object.assign(env, parseEnv(readFileSync(local(m, file), 'utf8')));
    const [program, ...args] = unquoteSystemd(setting('ExecStart')[0]!);
    if (program !== '/usr/bin/env' || args[0] !== 'node') throw new Error(`unexpected ExecStart ${program}`);
    const localPort = await freePort();
    mkdirSync(local(m, '/var/log'), { recursive: true });
    const log = openSync(local(m, `/var/log/${unit}.log`), 'a');
    const startedAt = Date.now();
    let stop: () => void;
    if (opts.standInAgents) ({ stop } = await startStandInAgent(env, localPort));
    else {
      const child = spawn(
        process.execPath,
        args.slice(1).map((a) => local(m, a)),
        {
          cwd: local(m, setting('WorkingDirectory')[0]!),
          env: { ...env, PORT: String(localPort), PATH: '/usr/bin:/bin' },
          stdio: ['ignore', log, log],
        },
      );
      stop = () => void child.kill('SIGKILL');
    }
    m.agents.set(unit, { stop, port: Number(env.PORT ?? 3100), localPort, startedAt });
    closeSync(log);
    m.events.push(`start ${unit}`);
  };

  /**
   * The machine's journal, oldest first: each unit's output (the unit journald saw it come from, and
   * the unit's SyslogIdentifier), then what processes logged themselves with an identifier of their
   * choosing (`systemd-cat -t`).
   */
  const journal = (m: Machine): JournalEntry[] => {
    const logs = existsSync(local(m, '/var/log')) ? readdirSync(local(m, '/var/log')) : [];
    const output = logs
      .filter((f) => f.endsWith('.service.log'))
      .flatMap((file) => {
        const unit = file.slice(0, -'.log'.length);
        const unitFile = local(m, `/etc/systemd/system/${unit}`);
        const identifier =
          (existsSync(unitFile) && /^SyslogIdentifier=(.*)$/m.exec(readFileSync(unitFile, 'utf8'))?.[1]) ||
          unit;
        return readFileSync(local(m, `/var/log/${file}`), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((message) => ({ unit, identifier, message }));
      });
    return [...output, ...selfLogged];
  };

  /** journalctl's matches (`-u`, `-t`, `FIELD=value`), `-n` and the `cat`, `short-iso` and `json` outputs. */
  const journalctl = (m: Machine, args: string[]): string => {
    const option = (name: string): string | undefined => {
      const at = args.indexOf(name);
      return at === -1 ? undefined : args[at + 1];
    };
    const unit =
      option('-u') ?? args.find((a) => a.startsWith('_SYSTEMD_UNIT='))?.slice('_SYSTEMD_UNIT='.length);
    const identifier = option('-t');
    const entries = journal(m)
      .filter(
        (e) =>
          (unit === undefined || e.unit === unit) &&
          (identifier === undefined || e.identifier === identifier),
      )
      .slice(-Number(option('-n') ?? 10));
    const at = Date.now();
    return entries
      .map((e) => {
        switch (option('-o')) {
          case 'cat':
            return e.message;
          case 'json':
            return JSON.stringify({
              __REALTIME_TIMESTAMP: String(at * 1000),
              MESSAGE: e.message,
              _SYSTEMD_UNIT: e.unit,
            });
          default:
            return `${new Date(at).toISOString()} machine ${e.identifier}[4242]: ${e.message}`;
        }
      })
      .join('\n');
  };

  /** The sites the main Caddyfile imports: public name → the local port it proxies. */
  const caddySites = (m: Machine): Map<string, number> => {
    const main = readFileSync(local(m, '/etc/caddy/Caddyfile'), 'utf8');
    const sites = new Map<string, number>();
    if (!/^import fleetbot\.d\/\*\.caddy$/m.test(main)) return sites;
    const dir = local(m, '/etc/caddy/fleetbot.d');
    for (const file of existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.caddy')) : []) {
      const text = readFileSync(path.join(dir, file), 'utf8');
      const host = /^([a-z0-9.-]+) \{$/m.exec(text)?.[1];
      if (host) sites.set(host, Number(/reverse_proxy 127\.0\.0\.1:(\d+)/.exec(text)?.[1]));
    }
    return sites;
  };

  const stopCaddy = (m: Machine): void => {
    for (const site of m.caddy?.values() ?? []) site.server.close();
    m.caddy = undefined;
  };

  const startCaddy = async (m: Machine): Promise<void> => {
    stopCaddy(m);
    const running = new Map<string, { upstream: number; server: Server; port: number }>();
    for (const [host, upstream] of caddySites(m)) {
      const server = createServer((req, res) => {
        const target = agentOn(m, upstream)?.localPort;
        if (target === undefined) return res.writeHead(502).end();
        req.pipe(
          httpRequest(
            { host: '127.0.0.1', port: target, path: req.url, method: req.method, headers: req.headers },
            (up) => {
              res.writeHead(up.statusCode ?? 502, up.headers);
              up.pipe(res);
            },
          ).on('error', () => res.writeHead(502).end()),
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      running.set(host, { upstream, server, port: (server.address() as AddressInfo).port });
    }
    m.caddy = running;
    m.caddyStartedAt = Date.now();
    m.events.push('start caddy');
    opts.onChange?.(directory());
  };

  const curl = async (m: Machine, url: string): Promise<ExecReply> => {
    const match = /^http:\/\/127\.0\.0\.1:(\d+)(\/.*)$/.exec(url);
    const agent = agentOn(m, Number(match?.[1]));
    const warming = Date.now() - (agent?.startedAt ?? 0) < (opts.healthDelayMs ?? 0);
    if (!match || !agent || warming)
      return { code: 7, stderr: `curl: (7) Failed to connect to 127.0.0.1 port ${match?.[1] ?? '?'}` };
    try {
      const res = await fetch(`http://127.0.0.1:${agent.localPort}${match[2]}`);
      const body = await res.text();
      if (res.ok) m.events.push('agent healthy');
      return { code: 0, stdout: body };
    } catch {
      return { code: 7, stderr: `curl: (7) Failed to connect to 127.0.0.1 port ${match[1]}` };
    }
  };

  const faulty = (cmd: string | undefined, joined: string): boolean =>
    (fault === 'folder-fails' && cmd === 'install' && joined.startsWith('-d')) ||
    (fault === 'no-nftables' && cmd === 'test' && joined === '-x /usr/sbin/nft') ||
    (fault === 'unit-fails' && cmd === 'systemctl' && joined.startsWith('enable --now')) ||
    (fault === 'no-health' && cmd === 'curl') ||
    (fault === 'caddy-fails' && joined === 'reload-or-restart caddy');

  const one = async (m: Machine, line: string[], stdin: string): Promise<ExecReply> => {
    // Redirections only silence output here.
    const words = line.filter((w) => !/^\d?>/.test(w));
    const [cmd, ...rest] = words[0] === 'sudo' ? words.slice(2) : words;
    const joined = rest.join(' ');
    if (faulty(cmd, joined)) return { code: 1, stderr: `injected failure: ${words.join(' ')}` };
    switch (cmd) {
      case 'true':
        return { code: 0 };
      case 'test': {
        // `test [!] -x /usr/sbin/nft` and `test [!] -d <folder>`, against the stand-in's disk.
        const negated = rest[0] === '!';
        const [flag, file] = negated ? rest.slice(1) : rest;
        const holds =
          (flag === '-x' && file === '/usr/sbin/nft') || (flag === '-d' && existsSync(local(m, file!)));
        return { code: holds !== negated ? 0 : 1 };
      }
      case '/usr/sbin/nft':
        // The port guard: only its file is checked here; the lab and the VM lab load it for real.
        return existsSync(local(m, rest.at(-1)!)) ? { code: 0 } : { code: 1, stderr: 'no such file' };
      case 'id':
        return m.users.has(rest.at(-1)!)
          ? { code: 0, stdout: `${uidOf(m, rest.at(-1)!)}\n` }
          : { code: 1, stderr: 'no such user' };
      case 'awk': {
        // The owner of the socket listening on a port (`-v port=<hex>` over /proc/net/tcp): the
        // user its unit runs as.
        const port = parseInt(rest[rest.indexOf('-v') + 1]!.slice('port='.length), 16);
        const unit = [...m.agents].find(([, a]) => a.port === port)?.[0];
        const unitFile = unit && local(m, `/etc/systemd/system/${unit}`);
        const user =
          unitFile && existsSync(unitFile) && /^User=(.*)$/m.exec(readFileSync(unitFile, 'utf8'))?.[1];
        return { code: 0, stdout: user ? `${uidOf(m, user)}\n` : '' };
      }
      case 'useradd':
        m.users.add(rest.at(-1)!);
        return { code: 0 };
      case 'userdel':
        m.users.delete(rest.at(-1)!);
        return { code: 0 };
      case 'runuser':
        // runuser -u <user> -- <command…>: the stand-in has one Unix user, so it runs the command.
        if (!m.users.has(rest[1]!)) return { code: 1, stderr: `runuser: user ${rest[1]} does not exist` };
        return one(m, rest.slice(3), stdin);
      case 'tee':
        writeFileSync(local(m, rest[0]!), stdin);
        return { code: 0 };
      case 'timeout':
        // Only the wait for the agent user's processes to end, which the stand-in never has.
        return { code: 0 };
      case 'install': {
        if (rest[0] === '-d') {
          mkdirSync(local(m, rest.at(-1)!), { recursive: true });
          return { code: 0 };
        }
        const [src, dst] = rest.slice(-2);
        mkdirSync(path.dirname(local(m, dst!)), { recursive: true });
        if (src === '/dev/null') writeFileSync(local(m, dst!), '');
        else copyFileSync(local(m, src!), local(m, dst!));
        chmodSync(local(m, dst!), Number.parseInt(rest[rest.indexOf('-m') + 1]!, 8));
        return { code: 0 };
      }
      case 'chown':
        return { code: 0 };
      case 'rm':
        rmSync(local(m, rest.at(-1)!), { recursive: true, force: true });
        return { code: 0 };
      case 'systemctl':
        if (rest[0] === 'kill' && rest.at(-1)?.startsWith('fleetbot-conversation-')) {
          conversations.get(rest.at(-1)!.replace(/\.service$/, ''))?.kill('SIGKILL');
          return { code: 0 };
        }
        if (joined === 'daemon-reload' || joined === 'enable caddy') return { code: 0 };
        if (joined === 'reload-or-restart caddy') return startCaddy(m).then(() => ({ code: 0 }));
        if (joined === 'try-reload-or-restart caddy')
          return (m.caddy ? startCaddy(m) : Promise.resolve()).then(() => ({ code: 0 }));
        if (rest[0] === 'enable' && rest[1] === '--now')
          return startUnit(m, rest[2]!).then(() => ({ code: 0 }));
        if (rest[0] === 'restart') {
          stopAgent(m, rest[1]!);
          return startUnit(m, rest[1]!).then(() => ({ code: 0 }));
        }
        if (rest[0] === 'disable') {
          stopAgent(m, rest.at(-1)!);
          return { code: 0 };
        }
        if (rest[0] === 'is-active')
          return m.agents.has(rest[1]!) ? { code: 0, stdout: 'active\n' } : { code: 3, stdout: 'inactive\n' };
        break;
      case 'curl':
        return curl(m, rest.at(-1)!);
      case 'journalctl':
        return { code: 0, stdout: journalctl(m, rest) };
      case 'sh':
        m.events.push(`build script (${stdin.length} bytes)`);
        return stdin.trimEnd().endsWith('\nsync')
          ? { code: 0 }
          : { code: 1, stderr: 'script does not end in sync' };
    }
    return { code: 127, stderr: `fake machine: unknown command ${words.join(' ')}` };
  };

  const exec = async (m: Machine, line: string, stdin: string): Promise<ExecReply> => {
    let stdout = '';
    for (const part of line.split(/ && |; /)) {
      const [command, fallback] = part.split(' || ');
      let reply = await one(m, shellWords(command!), stdin);
      if (reply.code !== 0 && fallback !== undefined && fallback !== 'true')
        reply = await one(m, shellWords(fallback), stdin);
      if (reply.code !== 0 && fallback !== 'true') return { ...reply, stdout: stdout + (reply.stdout ?? '') };
      if (command === line) return reply;
      stdout += reply.stdout ?? '';
    }
    return { code: 0, stdout };
  };

  /** A machine at ip whose SSH comes up after delayMs with hostKey, letting in authorizedKey as username. */
  const add = async (
    ip: string,
    keys: { hostKey: string; authorizedKey: string; username: string },
    delayMs = 0,
  ): Promise<Machine> => {
    const dir = tempDir('fleetbot-vm-');
    const m: Machine = {
      root: dir.dir,
      cleanup: dir.cleanup,
      sshPort: await freePort(),
      agents: new Map(),
      events: [],
      users: new Set(),
    };
    // A systemd host, as fleetbot checks for one.
    mkdirSync(local(m, '/run/systemd/system'), { recursive: true });
    machines.set(ip, m);
    opts.onChange?.(directory());
    setTimeout(() => {
      if (!machines.has(ip)) return;
      void startSshServer({
        hostKey: fault === 'wrong-host-key' ? generateHostKey('an impostor').privateKey : keys.hostKey,
        authorizedKey: keys.authorizedKey,
        username: keys.username,
        root: dir.dir,
        port: m.sshPort,
        onExec: (line, stdin) => exec(m, line, stdin),
        onStream: (line, channel) => converse(m, line, channel),
        onForward: (port) => agentOn(m, port)?.localPort,
      }).then((ssh) => (m.ssh = ssh));
    }, delayMs);
    return m;
  };

  if (hetzner)
    hetzner.onServerCreated = async (server) => {
      const cloudConfig = parseYaml(server.userData ?? '') as {
        ssh_keys: { ed25519_private: string };
        ssh_authorized_keys: string[];
      };
      // sshd answers some time after the server reports running, as on a real cloud.
      await add(
        server.ipv4!,
        {
          hostKey: cloudConfig.ssh_keys.ed25519_private,
          authorizedKey: cloudConfig.ssh_authorized_keys[0]!,
          username: 'root',
        },
        opts.sshDelayMs,
      );
    };

  /** Where each machine answers now; with `no-https` injected, no site answers. */
  const directory = (): MachineDirectory => {
    const view: MachineDirectory = { ssh: {}, https: {} };
    for (const [ip, m] of machines) {
      view.ssh[ip] = m.sshPort;
      if (fault === 'no-https') continue;
      for (const [host, site] of m.caddy ?? [])
        view.https[host] ??= { port: site.port, from: (m.caddyStartedAt ?? 0) + (opts.tlsDelayMs ?? 0) };
    }
    return view;
  };

  const shutdown = async (ip: string): Promise<void> => {
    const m = machines.get(ip);
    if (!m) return;
    machines.delete(ip);
    opts.onChange?.(directory());
    for (const unit of [...m.agents.keys()]) stopAgent(m, unit);
    stopCaddy(m);
    await m.ssh?.close();
    m.cleanup();
  };

  // A deleted server takes its machine with it.
  const reaper = setInterval(() => {
    if (!hetzner) return;
    const live = new Set(hetzner.servers().map((s) => s.ipv4));
    for (const ip of machines.keys()) if (!live.has(ip)) void shutdown(ip);
  }, 25);

  return {
    machines,
    add,
    /** A process in `unit` writes to the journal of every machine under an identifier of its choosing (`systemd-cat -t`). */
    logAs: (entry: JournalEntry): void => void selfLogged.push(entry),
    /** Machines created from now on misbehave this way. */
    inject: (next: MachineFault): void => {
      fault = next;
    },
    directory,
    ...machineAccess(directory),
    file: (ip: string, remote: string) => local(machines.get(ip)!, remote),
    async close(): Promise<void> {
      clearInterval(reaper);
      for (const ip of [...machines.keys()]) await shutdown(ip);
    },
  };
}
export type FakeMachines = ReturnType<typeof fakeMachines>;
