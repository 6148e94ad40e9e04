import { z } from 'zod';
import { sleep, type Clock } from '../../core/runtime/clock.js';
import { UserError } from '../../core/runtime/errors.js';
import { healthBodySchema, healthBodyTooLarge, maxHealthBodyBytes } from '../../core/fleet/healthCheck.js';
import type { Step, StepContext } from '../../core/jobs/plan.js';
import type { AgentHealth } from '../../core/fleet/provider.js';
import type { Role } from '../../core/fleet/roles.js';
import type { SshPool } from '../ssh/pool.js';
import {
  OutputTooLargeError,
  waitForSshBanner,
  type SshAuth,
  type SshSession,
  type SshTarget,
} from '../ssh/session.js';
import {
  caddyUser,
  hasDaemon,
  readAgentFiles,
  renderAgentEnv,
  renderCaddyfile,
  renderCaddySite,
  renderPortGuard,
  renderSecretsEnv,
  renderUnit,
  type AgentLayout,
  type DaemonLayout,
} from './layout.js';
import { remote } from './remote.js';

/** What installing an agent on a machine over SSH needs, whoever made the machine. */
export type MachineDeps = {
  clock: Clock;
  auth: SshAuth;
  /** Connections kept between steps and jobs; shared by every provider that installs over SSH. */
  pool: SshPool;
  /** Where a machine's SSH answers; tests map documentation addresses to loopback. */
  sshEndpoint: (address: string) => { host: string; port: number };
  /** The public HTTPS check once Caddy runs. */
  publicHealth: (url: string, signal: AbortSignal) => Promise<AgentHealth>;
  acmeCa?: string | undefined;
  timings: {
    sshDeadlineMs: number;
    healthDeadlineMs: number;
    tlsDeadlineMs: number;
    pollMs: number;
    commandTimeoutMs: number;
  };
};

/** The machine an agent is on, as recorded in its resources. */
export type MachineRef = { address: string; login: string; hostKey: string };

export const machineRefSchema = z.object({ ip: z.string(), login: z.string(), hostKey: z.string() });

const targetOf = (deps: MachineDeps, m: MachineRef): SshTarget => ({
  ...deps.sshEndpoint(m.address),
  username: m.login,
  hostKey: m.hostKey,
});

/** Runs fn on a session to the machine: a kept one, or a new one that proves the pinned host key. */
export function withMachine<T>(
  deps: MachineDeps,
  m: MachineRef,
  fn: (ssh: SshSession) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  return deps.pool.use(targetOf(deps, m), deps.auth, fn, {
    deadlineMs: 15_000,
    ...(signal ? { signal } : {}),
  });
}

/** Lends a session to the machine for as long as a tunnel or process opened on it lives (`SshPool.hold`). */
export function holdMachine<T>(
  deps: MachineDeps,
  m: MachineRef,
  open: (ssh: SshSession) => Promise<{ value: T; released: Promise<unknown> }>,
): Promise<T> {
  return deps.pool.hold(targetOf(deps, m), deps.auth, open, { deadlineMs: 15_000 });
}

/** Runs a command and fails with its own words (stderr) when it exits non-zero. */
export async function run(
  deps: MachineDeps,
  ssh: SshSession,
  command: string,
  what: string,
  opts: { input?: string | Buffer; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<string> {
  const result = await ssh.exec(command, {
    timeoutMs: opts.timeoutMs ?? deps.timings.commandTimeoutMs,
    ...(opts.input === undefined ? {} : { input: opts.input }),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (result.code !== 0) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-5).join(' | ');
    throw new UserError(`${what} failed on the machine (exit ${result.code}): ${tail || 'no output'}`);
  }
  return result.stdout;
}

/** The agent's health as seen from the machine itself (its port is not public). */
export async function localHealth(
  deps: MachineDeps,
  ssh: SshSession,
  layout: DaemonLayout,
  signal?: AbortSignal,
): Promise<AgentHealth> {
  const result = await ssh
    .exec(remote.localHealth(layout), {
      timeoutMs: 10_000,
      maxOutputBytes: maxHealthBodyBytes,
      ...(signal ? { signal } : {}),
    })
    .catch((err: unknown) => {
      if (err instanceof OutputTooLargeError) return { code: 1, stdout: '', stderr: healthBodyTooLarge };
      throw err;
    });
  if (result.code !== 0)
    return { state: 'unhealthy', detail: result.stderr.trim() || `health check exited ${result.code}` };
  let body: z.output<typeof healthBodySchema>;
  try {
    body = healthBodySchema.parse(JSON.parse(result.stdout));
  } catch {
    return { state: 'unhealthy', detail: 'health answered, but not with the expected JSON' };
  }
  // Any process may take the port once the agent's is gone: the answer counts only from the agent's user.
  const owner = await ssh.exec(remote.portOwner(layout), {
    timeoutMs: 10_000,
    ...(signal ? { signal } : {}),
  });
  const [agentUid, ...listeners] = owner.stdout.trim().split('\n');
  const strangers = listeners.filter((uid) => uid !== agentUid);
  if (owner.code !== 0 || !agentUid || listeners.length === 0 || strangers.length > 0)
    return {
      state: 'unhealthy',
      detail: `port ${layout.daemon.port} is held by a process that is not ${layout.name}'s (uid ${strangers.join(', ') || 'unknown'}); /restart ${layout.name}`,
    };
  return {
    state: 'healthy',
    detail: `status ${body.status}${body.version ? `, version ${body.version}` : ''}`,
    ...(body.uptime === undefined ? {} : { uptimeSeconds: body.uptime }),
  };
}

/** Polls `check` about every pollMs until it says healthy or the deadline passes. */
export async function pollHealthy(
  deps: MachineDeps,
  deadlineMs: number,
  check: () => Promise<AgentHealth>,
  signal: AbortSignal,
  what: string,
): Promise<AgentHealth> {
  const deadline = deps.clock.now() + deadlineMs;
  let last: AgentHealth = { state: 'unhealthy', detail: 'not checked yet' };
  while (deps.clock.now() < deadline) {
    last = await check();
    if (last.state === 'healthy') return last;
    await sleep(deps.clock, deps.timings.pollMs, signal);
  }
  throw new UserError(
    `${what} gave no healthy answer within ${Math.round(deadlineMs / 1000)} s (${last.detail}).`,
  );
}

const machineOf = (ctx: StepContext, fallback?: MachineRef): MachineRef => {
  const merged = Object.assign({}, ...Object.values(ctx.outputs)) as Record<string, unknown>;
  const parsed = machineRefSchema.safeParse(merged);
  if (parsed.success)
    return { address: parsed.data.ip, login: parsed.data.login, hostKey: parsed.data.hostKey };
  if (fallback) return fallback;
  throw new Error('no machine was recorded for this job');
};

/** Waits for SSH and proves the machine holds the pinned host key. */
export function reachSteps(deps: MachineDeps, fallback?: MachineRef, needs?: string[]): Step[] {
  return [
    {
      key: 'ssh',
      rerunnable: true,
      title: 'Wait for SSH',
      ...(needs ? { needs } : {}),
      timeoutMs: deps.timings.sshDeadlineMs + 10_000,
      run: async (ctx) => {
        const endpoint = deps.sshEndpoint(machineOf(ctx, fallback).address);
        await waitForSshBanner(endpoint.host, endpoint.port, {
          clock: deps.clock,
          deadlineMs: deps.timings.sshDeadlineMs,
          retryDelayMs: deps.timings.pollMs,
          signal: ctx.signal,
        });
      },
    },
    {
      key: 'hostkey',
      rerunnable: true,
      title: 'Verify SSH host key',
      run: async (ctx) => {
        const m = machineOf(ctx, fallback);
        await withMachine(deps, m, (ssh) => run(deps, ssh, 'true', 'A first command'), ctx.signal);
      },
    },
  ];
}

const noNftables =
  'nftables is not installed on the machine (no /usr/sbin/nft); fleetbot needs it to keep other agents off this one’s port. Install it (apt-get install nftables) and deploy again.';

/**
 * What the upload step records for an agent without a daemon. Records without it (every one from
 * before daemons were optional) are of agents with one.
 */
const noDaemonRecord = { daemon: false } as const;

/** Whether a stored agent's record says it has no daemon: it runs only when spoken to. */
export const recordedWithoutDaemon = (resources: Record<string, unknown>): boolean =>
  resources['daemon'] === noDaemonRecord.daemon;

type InstallOptions = {
  deps: MachineDeps;
  layout: AgentLayout;
  role: Role;
  secrets: Record<string, string>;
  fqdn?: string;
  fallback?: MachineRef;
  /** Extra steps the Caddy step waits for (the DNS record). */
  caddyNeeds?: string[];
};

/**
 * The part of a deploy that is the same on a new cloud server and on a host someone already has: the
 * agent's user, folder, files, env and secrets; then, for an agent with a daemon, its unit behind
 * its port guard, its local health and (with a domain) Caddy and the public HTTPS check. An agent
 * without a daemon is done once its files are there: it runs when spoken to.
 */
export function installSteps(opts: InstallOptions): Step[] {
  const { layout } = opts;
  const upload = uploadStep(opts);
  return hasDaemon(layout) ? [upload, ...daemonSteps({ ...opts, layout })] : [upload];
}

function uploadStep(opts: InstallOptions): Step {
  const { deps, layout, role } = opts;
  const machine = (ctx: StepContext): MachineRef => machineOf(ctx, opts.fallback);
  return {
    key: 'upload',
    rerunnable: true,
    title:
      Object.keys(layout.files).length > 0
        ? 'Upload agent, config and secrets'
        : 'Create agent user, config and secrets',
    run: async (ctx) =>
      withMachine(
        deps,
        machine(ctx),
        async (ssh) => {
          const login = machine(ctx).login;
          const write = (command: string, input: string | Buffer, what: string) =>
            run(deps, ssh, command, what, { input, signal: ctx.signal });
          await run(deps, ssh, remote.prepareAgent(layout, login), 'Creating the agent user and folder', {
            signal: ctx.signal,
          });
          for (const [name, content] of readAgentFiles(layout))
            await write(remote.writeAgentFile(layout, login, name), content, `Writing ${name}`);
          await write(
            remote.writeConfigFile(layout, login, 'agent.env'),
            renderAgentEnv(layout, role),
            'Writing agent.env',
          );
          await write(
            remote.writeConfigFile(layout, login, 'secrets.env'),
            renderSecretsEnv(opts.secrets),
            'Writing secrets.env',
          );
          return { appDir: layout.appDir, ...(layout.daemon ? { unit: layout.unit } : noDaemonRecord) };
        },
        ctx.signal,
      ),
    undo: async (ctx) => {
      await withMachine(deps, machine(ctx), (ssh) =>
        run(deps, ssh, remote.removeAgent(layout, machine(ctx).login), 'Removing the agent'),
      );
    },
  };
}

/** Start, local health, then (with a domain) Caddy and the public HTTPS check. */
function daemonSteps(opts: InstallOptions & { layout: DaemonLayout }): Step[] {
  const { deps, layout, role, fqdn } = opts;
  const machine = (ctx: StepContext): MachineRef => machineOf(ctx, opts.fallback);
  const steps: Step[] = [
    {
      key: 'start',
      rerunnable: true,
      title: 'Start agent service',
      run: async (ctx) =>
        withMachine(
          deps,
          machine(ctx),
          async (ssh) => {
            const login = machine(ctx).login;
            const opts = { signal: ctx.signal };
            await run(deps, ssh, remote.writeUnit(layout, login), `Writing ${layout.unit}`, {
              ...opts,
              input: renderUnit(layout, role.name),
            });
            const nft = await ssh.exec(remote.hasNft(), {
              timeoutMs: deps.timings.commandTimeoutMs,
              signal: ctx.signal,
            });
            if (nft.code !== 0) throw new UserError(noNftables);
            await run(deps, ssh, remote.guardPort(layout, login), `Guarding port ${layout.daemon.port}`, {
              ...opts,
              input: renderPortGuard(layout, [...(fqdn ? [caddyUser] : []), login]),
            });
            await run(deps, ssh, remote.startUnit(layout, login), `Starting ${layout.unit}`, opts);
          },
          ctx.signal,
        ),
      undo: async (ctx) => {
        await withMachine(deps, machine(ctx), (ssh) =>
          run(deps, ssh, remote.stopUnit(layout, machine(ctx).login), `Stopping ${layout.unit}`),
        );
      },
    },
    healthStep(deps, layout, machine),
  ];
  if (!fqdn) return steps;
  return [
    ...steps,
    ...publicSiteSteps({
      deps,
      name: layout.name,
      fqdn,
      healthPath: layout.daemon.healthPath,
      port: () => layout.daemon.port,
      machine,
      needs: ['health', ...(opts.caddyNeeds ?? [])],
    }),
  ];
}

/**
 * Caddy on the machine in front of the agent's port on its loopback (https://<fqdn>, TLS from ACME),
 * then the public HTTPS check, whose step records the agent's url. The port is read when the step
 * runs: a provider may choose it in an earlier step.
 */
export function publicSiteSteps(opts: {
  deps: MachineDeps;
  name: string;
  fqdn: string;
  healthPath: string;
  port: (ctx: StepContext) => number;
  machine: (ctx: StepContext) => MachineRef;
  needs: string[];
}): Step[] {
  const { deps, fqdn, machine } = opts;
  const url = `https://${fqdn}`;
  const healthUrl = `${url}${opts.healthPath}`;
  return [
    {
      key: 'caddy',
      rerunnable: true,
      title: 'Start Caddy (TLS)',
      needs: opts.needs,
      run: async (ctx) =>
        withMachine(
          deps,
          machine(ctx),
          async (ssh) => {
            const login = machine(ctx).login;
            const runOpts = { signal: ctx.signal };
            await run(deps, ssh, remote.writeCaddyfile(login), 'Writing the Caddyfile', {
              ...runOpts,
              input: renderCaddyfile(deps.acmeCa),
            });
            // Rendered here from the agent's own name: a site serves no other host.
            await run(deps, ssh, remote.writeCaddySite(opts.name, login), 'Writing the Caddy site', {
              ...runOpts,
              input: renderCaddySite(fqdn, opts.port(ctx)),
            });
            await run(deps, ssh, remote.startCaddy(login), 'Starting Caddy', runOpts);
          },
          ctx.signal,
        ),
    },
    {
      key: 'https',
      rerunnable: true,
      title: `Check ${healthUrl}`,
      timeoutMs: deps.timings.tlsDeadlineMs + 10_000,
      run: async (ctx) => {
        await pollHealthy(
          deps,
          deps.timings.tlsDeadlineMs,
          () => deps.publicHealth(healthUrl, ctx.signal),
          ctx.signal,
          healthUrl,
        );
        return { url, healthUrl };
      },
    },
  ];
}

/** Polls the agent's health through SSH about every pollMs up to the bound. */
export function healthStep(
  deps: MachineDeps,
  layout: DaemonLayout,
  machine: (ctx: StepContext) => MachineRef,
): Step {
  return {
    key: 'health',
    rerunnable: true,
    title: 'Wait for local health',
    timeoutMs: deps.timings.healthDeadlineMs + 20_000,
    run: async (ctx) =>
      withMachine(
        deps,
        machine(ctx),
        async (ssh) => {
          try {
            await pollHealthy(
              deps,
              deps.timings.healthDeadlineMs,
              () => localHealth(deps, ssh, layout, ctx.signal),
              ctx.signal,
              `${layout.name} on the machine`,
            );
          } catch (error) {
            if (!(error instanceof UserError)) throw error;
            throw new UserError(
              `${error.message}${await journalTail(deps, ssh, layout, machine(ctx).login)}`,
            );
          }
        },
        ctx.signal,
      ),
  };
}

/** The agent's last output lines, for a health failure: they usually say why it did not answer. */
async function journalTail(
  deps: MachineDeps,
  ssh: SshSession,
  layout: AgentLayout,
  login: string,
): Promise<string> {
  try {
    const text = await run(deps, ssh, remote.agentOutput(layout, login, 5), 'Reading the journal');
    const lines = text.trim().split('\n').filter(Boolean);
    return lines.length > 0 ? ` Its last output: ${lines.join(' | ')}` : '';
  } catch {
    // The journal only explains the failure; reading it failing must not hide the failure itself.
    return '';
  }
}
