import { createServer } from 'node:net';
import { access, mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { sleep, type Clock } from '../../core/runtime/clock.js';
import { UserError } from '../../core/runtime/errors.js';
import { checkHealth } from '../../core/fleet/healthCheck.js';
import type { Plan, Step, StepContext } from '../../core/jobs/plan.js';
import type { Logger } from '../../core/runtime/logging.js';
import type { AgentHealth, Provider } from '../../core/fleet/provider.js';
import { daemonOf, type Role } from '../../core/fleet/roles.js';
import type { Agent } from '../../core/store/agents.js';
import { readEnvFile, tailLines, writeEnvFile } from './files.js';
import { localChannels } from './channels.js';
import { listenerOwner } from './listener.js';
import { exitOf, isAgentProcess, processesIn, spawnAgent, stopAgent } from './process.js';
import { sandboxedCommand, sandboxInfoFd } from './sandbox.js';

/** What the local provider stores per agent. */
const resourcesSchema = z.object({
  dir: z.string(),
  logFile: z.string(),
  /** The daemon's argv and health path; a role without a daemon has neither. */
  command: z.array(z.string()).optional(),
  healthPath: z.string().optional(),
  env: z.record(z.string(), z.string()),
  pid: z.number().int().optional(),
  port: z.number().int().optional(),
  url: z.string().optional(),
});
type Resources = z.output<typeof resourcesSchema>;

/**
 * How agents are contained: in a bubblewrap sandbox, unsandboxed as fleetbot's own user (allowed
 * only where that is safe or was asked for), or not started at all, for the reason given.
 */
export type Isolation =
  { kind: 'sandbox'; bwrap: string } | { kind: 'unsandboxed' } | { kind: 'refused'; reason: string };

export type LocalOptions = {
  dataDir: string;
  clock: Clock;
  log: Logger;
  isolation: Isolation;
  /** fleetbot's own files (data folder, store, .env) that a sandbox must never show an agent. */
  hidden: string[];
  /** How long a new agent may take to answer its health check. */
  healthDeadlineMs?: number;
  stopGraceMs?: number;
  pollIntervalMs?: number;
};

const host = '127.0.0.1';

/**
 * Ports handed out lately, by when. The port is closed again before the agent binds it, and the OS may
 * offer it to the next deploy meanwhile: with 50 deploys at once two agents got the same port and one
 * died with EADDRINUSE (B4 in BENCHMARKS.md).
 */
const handedOut = new Map<number, number>();
const reservedMs = 60_000;

function claim(port: number): boolean {
  const now = performance.now();
  for (const [p, at] of handedOut) if (now - at > reservedMs) handedOut.delete(p);
  if (handedOut.has(port)) return false;
  handedOut.set(port, now);
  return true;
}

async function freePort(preferred?: number): Promise<number> {
  const port = await probePort(preferred);
  // An agent's own earlier port is its to reuse; a fresh one must not be one just handed to another.
  return port === preferred || claim(port) ? port : freePort();
}

function probePort(preferred?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err) => {
      if (preferred) probePort().then(resolve, reject);
      else reject(err);
    });
    server.listen(preferred ?? 0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Runs each agent as a child process on this host: the default provider, needing no account anywhere. */
export function createLocalProvider(opts: LocalOptions): Provider {
  const { clock } = opts;
  const healthDeadlineMs = opts.healthDeadlineMs ?? 30_000;
  const stopGraceMs = opts.stopGraceMs ?? 5_000;
  const pollIntervalMs = opts.pollIntervalMs ?? 200;

  const resourcesOf = (agent: Agent): Resources => resourcesSchema.parse(agent.resources);
  const current = (ctx: StepContext, agent: Agent): Resources =>
    resourcesSchema.parse({ ...agent.resources, ...Object.assign({}, ...Object.values(ctx.outputs)) });

  const lastLog = async (logFile: string): Promise<string> => {
    const lines = await tailLines(logFile, 5);
    return lines.length ? ` Last log lines:\n${lines.join('\n')}` : ' The agent wrote nothing to its log.';
  };

  /** The command line that runs argv in agent folder dir: inside a sandbox, or plain where that is allowed. */
  const launch = (dir: string, argv: string[]): string[] => {
    const command = argv.map((arg, i) => (i === 0 && arg === 'node' ? process.execPath : arg));
    const { isolation } = opts;
    if (isolation.kind === 'refused') throw new UserError(isolation.reason);
    if (isolation.kind === 'unsandboxed') return command;
    return sandboxedCommand(isolation.bwrap, { dir, command, hidden: opts.hidden });
  };

  /** What every process of the agent gets: its env and secrets, and the marker that finds it again. */
  const environmentOf = async (r: Resources): Promise<Record<string, string>> => ({
    ...r.env,
    ...(await readEnvFile(path.join(r.dir, 'secrets.env'))),
    PATH: '/usr/local/bin:/usr/bin:/bin',
    FLEETBOT_AGENT_DIR: r.dir,
  });

  const startStep = (agent: Agent, preferPort: boolean): Step => ({
    key: 'start',
    title: 'Start agent process',
    run: async (ctx) => {
      const r = current(ctx, agent);
      if (!r.command) throw new Error(`${agent.name} has no daemon to start`);
      const command = launch(r.dir, r.command);
      const port = await freePort(preferPort ? r.port : undefined);
      const env = { ...(await environmentOf(r)), HOST: host, PORT: String(port), HOME: r.dir };
      const pid = await spawnAgent(command, {
        cwd: r.dir,
        env,
        logFile: r.logFile,
        ...(opts.isolation.kind === 'sandbox' ? { infoFd: sandboxInfoFd } : {}),
      });
      const url = `http://${host}:${port}`;
      ctx.record({ pid, port, url });
      return { pid, port, url };
    },
    undo: async (ctx, output) => {
      const pid = z.number().optional().parse(output.pid);
      if (pid !== undefined) await stopAgent(pid, current(ctx, agent).dir, { clock, graceMs: stopGraceMs });
    },
  });

  const healthStep = (agent: Agent): Step => ({
    key: 'health',
    title: 'Wait for health',
    rerunnable: true,
    timeoutMs: healthDeadlineMs + 5_000,
    run: async (ctx) => {
      const r = current(ctx, agent);
      if (r.pid === undefined || !r.url) throw new Error('the agent process was not started');
      const deadline = clock.now() + healthDeadlineMs;
      let last: AgentHealth = { state: 'unhealthy', detail: 'not checked yet' };
      while (clock.now() < deadline) {
        const exited = exitOf(r.pid);
        if (exited)
          throw new Error(`the agent process ${exited} before answering.${await lastLog(r.logFile)}`);
        last = await daemonHealth(agent, r, 2_000, ctx.signal);
        if (last.state === 'healthy') return { url: r.url };
        await sleep(clock, pollIntervalMs, ctx.signal);
      }
      throw new Error(
        `no healthy answer within ${Math.round(healthDeadlineMs / 1000)} s (${last.detail}).${await lastLog(r.logFile)}`,
      );
    },
  });

  /** Whether the agent has a daemon, as its record says; a record too broken to read is taken to have one. */
  const hasDaemon = (agent: Agent): boolean => {
    const r = resourcesSchema.safeParse(agent.resources);
    return !r.success || r.data.command !== undefined;
  };

  const stopStep = (agent: Agent): Step => ({
    key: 'stop',
    title: hasDaemon(agent) ? 'Stop agent process' : 'Stop its conversations',
    rerunnable: true,
    run: async () => {
      const r = resourcesOf(agent);
      // Conversations' processes carry the folder's marker too: stopping the agent ends them all.
      for (const pid of r.pid === undefined ? processesIn(r.dir) : [r.pid])
        await stopAgent(pid, r.dir, { clock, graceMs: stopGraceMs });
      return { pid: undefined };
    },
  });

  /** The daemon's HTTP health; an answer from a stranger holding the agent's port does not count. */
  const daemonHealth = async (
    agent: Agent,
    r: Resources,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<AgentHealth> => {
    const health = await checkHealth(`${r.url}${r.healthPath ?? '/health'}`, {
      timeoutMs,
      ...(signal ? { signal } : {}),
    });
    if (health.state !== 'healthy' || r.port === undefined) return health;
    if (listenerOwner(r.port, processesIn(r.dir)) !== 'stranger') return health;
    return {
      state: 'unhealthy',
      detail: `port ${r.port} is held by a process that is not ${agent.name}'s; /restart ${agent.name} starts it on a free port`,
    };
  };

  /** An agent without a daemon is there while its folder is: it runs when spoken to. */
  const folderHealth = async (r: Resources): Promise<AgentHealth> =>
    access(r.dir).then(
      (): AgentHealth => ({ state: 'healthy', detail: 'no daemon; it runs when spoken to' }),
      (): AgentHealth => ({ state: 'stopped', detail: `its folder ${r.dir} is gone` }),
    );

  const status = async (agent: Agent, timeoutMs = 3_000): Promise<AgentHealth> => {
    const parsed = resourcesSchema.safeParse(agent.resources);
    if (!parsed.success) return { state: 'stopped', detail: 'no process recorded' };
    const r = parsed.data;
    if (!r.command) return folderHealth(r);
    if (r.pid === undefined || !isAgentProcess(r.pid, r.dir))
      return { state: 'stopped', detail: 'the agent process is not running' };
    return daemonHealth(agent, r, timeoutMs);
  };

  return {
    name: 'local',

    deployPlan({ agent, role, secrets }): Plan {
      const daemon = daemonOf(role);
      // Agent ids restart at 1 in a new store on the same data folder (a restored backup, a reset):
      // the creation time keeps this agent's folder apart from the one an older alice-1 still runs in.
      const dir = path.join(
        opts.dataDir,
        'agents',
        `${agent.name}-${agent.id}-${agent.createdAt.toString(36)}`,
      );
      return [
        {
          key: 'folder',
          title: 'Prepare agent folder',
          rerunnable: true,
          run: async () => {
            if (processesIn(dir).length > 0)
              throw new Error(
                `an agent this store does not know already runs in ${dir}; stop it (or remove that folder) and deploy again`,
              );
            await mkdir(dir, { recursive: true, mode: 0o700 });
            await writeEnvFile(path.join(dir, 'secrets.env'), secrets);
            return {
              dir,
              logFile: path.join(dir, 'agent.log'),
              ...(daemon ? { command: daemon.command, healthPath: daemon.healthPath } : {}),
              env: { ...role.agent.env, AGENT_NAME: agent.name, AGENT_ROLE: role.name },
            };
          },
          undo: async () => rm(dir, { recursive: true, force: true }),
        },
        ...(daemon ? [startStep(agent, false), healthStep(agent)] : []),
      ];
    },

    restartPlan(agent: Agent, _role: Role | undefined): Plan {
      if (!hasDaemon(agent)) return [stopStep(agent)];
      return [stopStep(agent), startStep(agent, true), healthStep(agent)];
    },

    destroyPlan(agent): Plan {
      return [
        stopStep(agent),
        {
          key: 'folder',
          title: 'Remove agent folder and logs',
          rerunnable: true,
          run: async () => {
            const { dir } = resourcesOf(agent);
            await rm(dir, { recursive: true, force: true });
          },
        },
      ];
    },

    status: (agent) => status(agent),
    // As cheap as an HTTP check, and it also catches a dead process or a stranger on the port.
    check: status,

    healthUrl(agent) {
      const r = resourcesSchema.safeParse(agent.resources);
      return r.success && r.data.url ? `${r.data.url}${r.data.healthPath ?? '/health'}` : undefined;
    },

    async logs(agent, lines) {
      const logFile = z.object({ logFile: z.string() }).safeParse(agent.resources);
      return logFile.success ? tailLines(logFile.data.logFile, lines) : [];
    },

    /** Agent folders no live agent's record names are orphans (with any process still running there). */
    async inventory(agents) {
      const root = path.join(opts.dataDir, 'agents');
      const known = new Set(
        agents
          .map((a) => resourcesSchema.safeParse(a.resources))
          .flatMap((r) => (r.success ? [r.data.dir] : [])),
      );
      let names: string[];
      try {
        names = await readdir(root);
      } catch {
        return { found: [], lost: [] };
      }
      const found = await Promise.all(
        names.map(async (name) => {
          const dir = path.join(root, name);
          const owner = agents.find((a) => resourcesSchema.safeParse(a.resources).data?.dir === dir);
          return {
            id: dir,
            description: `agent folder ${name}${processesIn(dir).length ? ` with a running process` : ''}`,
            createdAt: (await stat(dir)).mtimeMs,
            ...(known.has(dir) && owner ? { agentId: owner.id } : {}),
          };
        }),
      );
      return { found, lost: [] };
    },

    async removeFound(found) {
      for (const pid of processesIn(found.id))
        await stopAgent(pid, found.id, { clock, graceMs: stopGraceMs });
      await rm(found.id, { recursive: true, force: true });
    },

    channels(agent, role) {
      const r = resourcesOf(agent);
      return localChannels({
        name: agent.name,
        dir: r.dir,
        env: () => environmentOf(r),
        launch: (argv) => launch(r.dir, argv),
        sandboxed: opts.isolation.kind === 'sandbox',
        ports: { role: role.agent.port, own: r.port },
      });
    },

    async findRunning(agents) {
      return Promise.all(
        agents.map(async (agent) => {
          const parsed = resourcesSchema.safeParse(agent.resources);
          if (parsed.success && !parsed.data.command) {
            const there = await folderHealth(parsed.data);
            return { agent, running: there.state === 'healthy', detail: there.detail };
          }
          if (!parsed.success || parsed.data.pid === undefined)
            return { agent, running: false, detail: 'no process recorded' };
          const r = parsed.data;
          if (!isAgentProcess(r.pid!, r.dir))
            return { agent, running: false, detail: `process ${r.pid} is gone` };
          const health = await daemonHealth(agent, r, 3_000);
          return { agent, running: true, detail: `process ${r.pid}, ${health.state}: ${health.detail}` };
        }),
      );
    },
  };
}
