import { z } from 'zod';
import type { SshHost } from './hosts.js';
import { errorMessage, UserError } from '../../core/runtime/errors.js';
import type { Plan } from '../../core/jobs/plan.js';
import type { DeployOptions, Provider } from '../../core/fleet/provider.js';
import type { Role } from '../../core/fleet/roles.js';
import type { Agent } from '../../core/store/agents.js';
import {
  installSteps,
  localHealth,
  reachSteps,
  run,
  withMachine,
  type MachineDeps,
  type MachineRef,
} from '../machine/install.js';
import { machineChannels } from '../machine/channels.js';
import { agentLayout, atPort, hasDaemon, installedLayout, unitName } from '../machine/layout.js';
import { layoutFor, machineLogs, presence, restartSteps } from '../machine/operate.js';
import { remote } from '../machine/remote.js';
import { missingPinHelp, type KnownHosts } from '../ssh/knownHosts.js';
import { sshSection } from './roleSettings.js';

export type SshHostsProviderOptions = {
  hosts: SshHost[];
  knownHosts: KnownHosts;
  /** Named in messages about missing pins. */
  knownHostsFile: string;
  machine: MachineDeps;
  /** With a domain, agents get https://<name>.<domain> through Caddy; its DNS is the host owner's. */
  domain?: string | undefined;
};

const resourcesSchema = z.object({
  host: z.string(),
  ip: z.string(),
  login: z.string(),
  hostKey: z.string(),
  /** Where the agent's daemon listens and answers health: recorded by the first step, only for a daemon. */
  port: z.number().int().optional(),
  healthPath: z.string().optional(),
  healthUrl: z.string().optional(),
});
type Resources = z.output<typeof resourcesSchema>;

const installed = (agent: Agent, r: Resources) =>
  installedLayout(
    agent.name,
    r.port === undefined || r.healthPath === undefined
      ? undefined
      : { port: r.port, healthPath: r.healthPath },
  );
const refOf = (r: Resources): MachineRef => ({ address: r.ip, login: r.login, hostKey: r.hostKey });

/** Where SSH answers, as recorded: host:port, an IPv6 address in brackets. */
const endpointAddress = (h: SshHost): string => `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`;

export const splitEndpoint = (address: string): { host: string; port: number } => {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(at + 1)) };
};

/** Agents on hosts someone already has (FLEETBOT_SSH_HOSTS), reached with pinned host keys only. */
export function createSshHostsProvider(opts: SshHostsProviderOptions): Provider {
  const { machine } = opts;
  const names = opts.hosts.map((h) => h.name).join(', ');

  /** The host a deploy goes to, with its pinned key; refuses unknown hosts and hosts without a pin. */
  const target = (role: Role, options: DeployOptions): MachineRef & { host: SshHost } => {
    const wanted = options.host ?? sshSection(role)?.host;
    if (!wanted && opts.hosts.length > 1)
      throw new UserError(
        `Say which host: --host <name> (configured: ${names}), or set providers.ssh.host in ${role.file}.`,
      );
    const host = wanted ? opts.hosts.find((h) => h.name === wanted) : opts.hosts[0];
    if (!host)
      throw new UserError(`There is no SSH host ${wanted} in FLEETBOT_SSH_HOSTS (configured: ${names}).`);
    const hostKey = opts.knownHosts.keyFor(host.host, host.port);
    if (!hostKey)
      throw new UserError(
        `Host ${host.name} (${host.user}@${host.host}) has no pinned host key in ${opts.knownHostsFile}. ${missingPinHelp(host.host, host.port, opts.knownHostsFile)}`,
      );
    return { host, address: endpointAddress(host), login: host.user, hostKey };
  };

  const recorded = (agent: Agent): Resources => {
    const parsed = resourcesSchema.safeParse(agent.resources);
    if (!parsed.success)
      throw new UserError(`${agent.name} has no host on record; /destroy ${agent.name} cleans up the rest.`);
    return parsed.data;
  };

  /** Ports given to deploys whose host step has not recorded them yet, by agent name. */
  const planned = new Map<string, { host: string; port: number }>();

  /**
   * Agents on one host each need their own port: the role's, or the next one no other live agent on
   * that host has (recorded, or planned by a deploy still on its way). A resumed deploy keeps its own.
   */
  const portFor = (agent: Agent, host: string, base: number, neighbours: Agent[]): number => {
    const own = resourcesSchema.partial().safeParse(agent.resources).data;
    const live = new Set(neighbours.map((a) => a.name));
    for (const name of planned.keys()) if (!live.has(name)) planned.delete(name);
    const used = new Set(
      neighbours.flatMap((a) => {
        const r = resourcesSchema.partial().safeParse(a.resources).data;
        const at = r?.host && r.port !== undefined ? { host: r.host, port: r.port } : planned.get(a.name);
        return at?.host === host ? [at.port] : [];
      }),
    );
    let port = own?.host === host && own.port !== undefined ? own.port : base;
    while (used.has(port)) port++;
    planned.set(agent.name, { host, port });
    return port;
  };

  return {
    name: 'ssh',

    async prepare({ role, options }) {
      target(role, options);
    },

    deployPlan({ agent, role, secrets, options, neighbours }): Plan {
      const t = target(role, options);
      const base = agentLayout(agent.name, role);
      const layout = atPort(base, base.daemon && portFor(agent, t.host.name, base.daemon.port, neighbours));
      const host: Resources = {
        host: t.host.name,
        ip: t.address,
        login: t.login,
        hostKey: t.hostKey,
        ...(layout.daemon ? { port: layout.daemon.port, healthPath: layout.daemon.healthPath } : {}),
      };
      return [
        {
          key: 'host',
          rerunnable: true,
          title: `Use host ${t.host.name} (${t.login}@${t.host.host})`,
          run: async () => host,
        },
        ...reachSteps(machine),
        ...installSteps({
          deps: machine,
          layout,
          role,
          secrets,
          ...(opts.domain ? { fqdn: `${agent.name}.${opts.domain}` } : {}),
        }),
      ];
    },

    restartPlan(agent, role): Plan {
      const r = recorded(agent);
      return restartSteps(machine, atPort(layoutFor(agent, role), r.port), refOf(r));
    },

    destroyPlan(agent): Plan {
      const parsed = resourcesSchema.safeParse(agent.resources);
      if (!parsed.success) return [];
      const r = parsed.data;
      return [
        {
          key: 'remove',
          rerunnable: true,
          title: `Remove ${agent.name} from ${r.host}`,
          run: async (ctx) => {
            await withMachine(
              machine,
              refOf(r),
              (ssh) =>
                run(machine, ssh, remote.removeAgent(installed(agent, r), r.login), 'Removing the agent'),
              ctx.signal,
            );
            return { ip: undefined };
          },
        },
      ];
    },

    async status(agent) {
      const r = recorded(agent);
      const layout = installed(agent, r);
      if (!hasDaemon(layout)) {
        const health = await presence(machine, refOf(r), layout);
        return { ...health, detail: `${health.detail} (on host ${r.host})` };
      }
      if (r.healthUrl) return machine.publicHealth(r.healthUrl, AbortSignal.timeout(10_000));
      try {
        const health = await withMachine(machine, refOf(r), (ssh) => localHealth(machine, ssh, layout));
        return { ...health, detail: `${health.detail} (on host ${r.host})` };
      } catch (err) {
        return { state: 'unhealthy', detail: `cannot reach host ${r.host}: ${errorMessage(err)}` };
      }
    },

    async logs(agent, lines) {
      return machineLogs(machine, refOf(recorded(agent)), agent.name, lines);
    },

    channels(agent, role) {
      const r = recorded(agent);
      return machineChannels(machine, refOf(r), atPort(layoutFor(agent, role), r.port), role);
    },

    async findRunning(agents) {
      return Promise.all(
        agents.map(async (agent) => {
          const parsed = resourcesSchema.safeParse(agent.resources);
          if (!parsed.success) return { agent, running: false, detail: 'no host recorded' };
          const layout = installed(agent, parsed.data);
          if (!hasDaemon(layout)) {
            const health = await presence(machine, refOf(parsed.data), layout);
            return { agent, running: health.state === 'healthy', detail: health.detail };
          }
          try {
            const state = await withMachine(machine, refOf(parsed.data), (ssh) =>
              ssh.exec(remote.unitState(layout), { timeoutMs: 10_000 }),
            );
            return {
              agent,
              running: state.code === 0,
              detail: `${unitName(agent.name)} is ${state.stdout.trim()}`,
            };
          } catch (err) {
            return { agent, running: false, detail: errorMessage(err) };
          }
        }),
      );
    },
  };
}
