import { z } from 'zod';
import { agentNameSchema } from '../../core/fleet/agentName.js';
import { UserError } from '../../core/runtime/errors.js';
import type { Plan, Step } from '../../core/jobs/plan.js';
import type { Logger } from '../../core/runtime/logging.js';
import type { Found, Provider } from '../../core/fleet/provider.js';
import type { Server } from './schemas.js';
import type { Role } from '../../core/fleet/roles.js';
import type { Agent } from '../../core/store/agents.js';
import type { CloudflareClient, DnsRecord } from '../cloudflare/client.js';
import { installSteps, reachSteps, recordedWithoutDaemon, type MachineRef } from '../machine/install.js';
import { machineChannels } from '../machine/channels.js';
import { agentLayout, installedLayout } from '../machine/layout.js';
import { layoutFor, machineLogs, presence, restartSteps } from '../machine/operate.js';
import { catalogue } from './catalogue.js';
import { imageBuilder, newestSnapshot, snapshotName } from './image.js';
import { commentPrefix, ownership } from './ownership.js';
import { assertAllowed, hetznerSection } from './roleSettings.js';
import { deleteServer, serverSteps, type ServerDeps } from './serverSteps.js';

export type HetznerProviderOptions = ServerDeps & {
  dns: CloudflareClient;
  /** Agents are reachable at https://<name>.<domain>. */
  domain: string;
  /** This fleetbot's instance id: on every label and record comment; it manages only what carries it. */
  instance: string;
  log: Logger;
  dnsTtl?: number;
};

const resourcesSchema = z.object({
  serverId: z.number().int(),
  ip: z.string(),
  login: z.string(),
  hostKey: z.string(),
  dnsRecordId: z.string().optional(),
  healthUrl: z.string().optional(),
  /** The agent label of an adopted server, which may differ from the name it was adopted under. */
  agentLabel: z.string().optional(),
});

/** The parts of a record reconciliation matches on, present or not. */
const recordedSchema = z.object({ serverId: z.number().int(), dnsRecordId: z.string() }).partial();

/** An orphan server says whose it was on its labels. */
const adoption = (s: Server): Pick<Found, 'adoptAs'> => {
  const { agent, role } = s.labels;
  return agent && role && agentNameSchema.safeParse(agent).success ? { adoptAs: { name: agent, role } } : {};
};

/** Agents on their own Hetzner Cloud server, behind a Cloudflare DNS name and Caddy's TLS. */
export function createHetznerProvider(opts: HetznerProviderOptions): Provider {
  const { hetzner, dns, machine } = opts;
  const types = catalogue(hetzner, machine.clock);
  const fqdn = (name: string): string => `${name}.${opts.domain}`;
  const own = ownership(opts.instance);

  /**
   * Deletes a DNS record only if this fleetbot made it (for `agent`, when given; `recorded`: one of its
   * agent records names it, which vouches for a record from before instance ids); refuses, naming it,
   * otherwise.
   */
  const deleteOwnRecord = async (
    id: string,
    agent: string | undefined,
    recorded: boolean,
    signal?: AbortSignal,
  ): Promise<void> => {
    const record = await dns.getRecord(id, signal);
    if (!record) return;
    if (!own.ownsRecord(record, recorded, agent))
      throw new UserError(
        `DNS record ${record.name} (${record.type} → ${record.content}) is not one this fleetbot made${agent ? ` for ${agent}` : ''}, so it left it alone. Remove it in the Cloudflare dashboard yourself if it is no longer used.`,
      );
    await dns.deleteRecord(id, signal);
  };

  const settings = (role: Role) => {
    const h = hetznerSection(role);
    if (!h)
      throw new UserError(
        `Role ${role.name} has no providers.hetzner section (serverType, location); add one to ${role.file}.`,
      );
    return h;
  };

  /** A snapshot id as given, or the newest snapshot built for the role's image name. */
  const imageFor = async (role: Role, signal?: AbortSignal): Promise<string> => {
    const name = snapshotName(role);
    if (/^\d+$/.test(name)) return name;
    const image = await newestSnapshot(hetzner, name, signal);
    if (!image)
      throw new UserError(
        `There is no golden image ${name} for role ${role.name} yet. Run /image build ${role.name} first (about 10 minutes).`,
      );
    return String(image.id);
  };

  const machineOf = (agent: Agent): MachineRef & z.output<typeof resourcesSchema> => {
    const parsed = resourcesSchema.safeParse(agent.resources);
    if (!parsed.success)
      throw new UserError(
        agent.resources.adopted
          ? `${agent.name} was adopted without the SSH host key fleetbot pinned for its server, so fleetbot will not log in to it. /destroy ${agent.name}, then /deploy it again to manage it fully.`
          : `${agent.name} has no server on record; /destroy ${agent.name} cleans up the rest.`,
      );
    return { ...parsed.data, address: parsed.data.ip };
  };

  return {
    name: 'hetzner',
    images: imageBuilder({ ...opts, catalogue: types, labels: own.managed }),

    async prepare({ role, options }) {
      const h = settings(role);
      const type = options.type ?? h.serverType;
      const location = options.location ?? h.location;
      assertAllowed(role, h, type, location);
      await types.check(type, location);
      await imageFor(role);
    },

    /** An agent without a daemon gets the server and its files, but no DNS name: it has no public URL. */
    deployPlan({ agent, role, secrets, options }): Plan {
      const h = settings(role);
      const name = fqdn(agent.name);
      const layout = agentLayout(agent.name, role);
      const dnsStep: Step = {
        key: 'dns',
        rerunnable: true,
        title: `Create DNS record ${name}`,
        needs: ['server'],
        run: async (ctx) => {
          const ip = z.string().parse(ctx.outputs.server?.ip);
          // A record of that name is replaced only if this fleetbot made it for this agent (a rerun).
          const record = await dns.upsertA(name, ip, {
            ttl: opts.dnsTtl ?? 300,
            comment: own.comment(agent.name),
            mayReplace: (r) => own.ownsRecord(r, false, agent.name),
            signal: ctx.signal,
          });
          return { dnsRecordId: record.id, fqdn: name };
        },
        undo: async (_ctx, output) => {
          const id = z.string().optional().parse(output.dnsRecordId);
          if (id) await deleteOwnRecord(id, agent.name, true);
        },
      };
      return [
        ...serverSteps(opts, {
          name: agent.name,
          location: options.location ?? h.location,
          serverType: async () => options.type ?? h.serverType,
          labels: own.agentLabels(agent.name, role.name),
          image: (signal) => imageFor(role, signal),
        }),
        ...(layout.daemon ? [dnsStep] : []),
        ...reachSteps(machine, undefined, ['boot']),
        ...installSteps({ deps: machine, layout, role, secrets, fqdn: name, caddyNeeds: ['dns'] }),
      ];
    },

    restartPlan(agent, role): Plan {
      return restartSteps(machine, layoutFor(agent, role), machineOf(agent));
    },

    destroyPlan(agent): Plan {
      const r = resourcesSchema.partial().safeParse(agent.resources);
      const res = r.success ? r.data : {};
      const dnsStep: Step = {
        key: 'dns',
        rerunnable: true,
        title: 'Delete DNS record',
        run: async (ctx) => {
          if (res.dnsRecordId)
            await deleteOwnRecord(res.dnsRecordId, res.agentLabel ?? agent.name, true, ctx.signal);
          return { dnsRecordId: undefined };
        },
      };
      const serverStep: Step = {
        key: 'server',
        rerunnable: true,
        title: 'Delete server',
        run: async (ctx) => {
          if (res.serverId === undefined) return;
          const server = await hetzner.getServer(res.serverId, ctx.signal);
          if (!server) return { serverId: undefined };
          const owner = res.agentLabel ?? agent.name;
          if (!own.ownsServer(server, true) || server.labels.agent !== owner) {
            throw new UserError(
              `Server ${server.name} (${res.serverId}) is not labelled as this fleetbot's ${owner} (managed-by=fleetbot, fleetbot-instance=${opts.instance}, agent=${owner}), so fleetbot left it alone. Check it in the Hetzner Console.`,
            );
          }
          await deleteServer(hetzner, res.serverId, ctx.signal);
          return { serverId: undefined };
        },
      };
      // An agent without a daemon never had a DNS record; its files go with its server.
      return recordedWithoutDaemon(agent.resources) ? [serverStep] : [dnsStep, serverStep];
    },

    async status(agent) {
      const m = resourcesSchema.pick({ serverId: true, healthUrl: true }).safeParse(agent.resources);
      if (!m.success) return { state: 'stopped', detail: 'no server on record' };
      const server = await hetzner.getServer(m.data.serverId);
      if (!server) return { state: 'stopped', detail: `server ${m.data.serverId} no longer exists` };
      if (server.status !== 'running') return { state: 'stopped', detail: `server is ${server.status}` };
      const where = `server ${server.server_type.name} in ${server.location.name}`;
      if (recordedWithoutDaemon(agent.resources)) {
        const health = await presence(machine, machineOf(agent), installedLayout(agent.name));
        return { ...health, detail: `${health.detail} (${where})` };
      }
      if (!m.data.healthUrl)
        return { state: 'unhealthy', detail: 'the server runs, but the agent never answered' };
      const health = await machine.publicHealth(m.data.healthUrl, AbortSignal.timeout(10_000));
      return {
        ...health,
        detail: `${health.detail} (${where})`,
      };
    },

    async logs(agent, lines) {
      return machineLogs(machine, machineOf(agent), agent.name, lines);
    },

    /** The same channels as on an ssh host: one agent per server, on its role's port. */
    channels(agent, role) {
      return machineChannels(machine, machineOf(agent), layoutFor(agent, role), role);
    },

    /**
     * This fleetbot's servers (labelled managed-by=fleetbot with its instance id) and DNS records
     * (commented "fleetbot agent … (instance <id>)") that no agent's record names are orphans; an orphan
     * server's DNS record is part of that server's finding. Another fleetbot's are not looked at; ones
     * from before instance ids count as this fleetbot's only while one of its agent records names them.
     * Agents whose server is gone are lost.
     */
    async inventory(agents) {
      const [allServers, allRecords] = await Promise.all([
        hetzner.listServers('managed-by=fleetbot'),
        dns.listA(commentPrefix),
      ]);
      const recorded = agents.map((a) => ({ agent: a, r: recordedSchema.safeParse(a.resources).data ?? {} }));
      const serverOwner = new Map(
        recorded.flatMap(({ agent, r }) => (r.serverId ? [[r.serverId, agent] as const] : [])),
      );
      // A deploy that has not recorded its record yet still owns the name.
      const recordOwner = (d: DnsRecord): Agent | undefined =>
        recorded.find(({ r }) => r.dnsRecordId === d.id)?.agent ??
        agents.find((a) => fqdn(a.name) === d.name);
      const servers = allServers.filter((s) => own.ownsServer(s, serverOwner.has(s.id)));
      const records = allRecords.filter((d) => own.ownsRecord(d, recordOwner(d) !== undefined));
      const orphanServerIps = new Set(
        servers.filter((s) => !serverOwner.has(s.id)).map((s) => s.public_net.ipv4?.ip),
      );
      const found = [
        ...servers.map((s): Found => ({
          id: `server ${s.id}`,
          description: `server ${s.name} (${s.id}) in ${s.location.name}`,
          createdAt: Date.parse(s.created),
          ...(serverOwner.has(s.id) ? { agentId: serverOwner.get(s.id)!.id } : {}),
          ...adoption(s),
        })),
        ...records
          .filter((d) => !orphanServerIps.has(d.content))
          .map((d): Found => {
            const owner = recordOwner(d);
            return {
              id: `dns ${d.id}`,
              description: `DNS record ${d.name} → ${d.content}`,
              createdAt: d.created_on ? Date.parse(d.created_on) : 0,
              ...(owner ? { agentId: owner.id } : {}),
            };
          }),
      ];
      const present = new Set(allServers.map((s) => s.id));
      const lost = [...serverOwner.entries()]
        .filter(([id, agent]) => !present.has(id) && agent.status === 'running')
        .map(([id, agent]) => ({ agent, detail: `its server ${id} no longer exists` }));
      return { found, lost };
    },

    /**
     * Deletes an orphan server with the DNS record that points at it, or an orphan DNS record; each
     * only while it still carries this fleetbot's instance id.
     */
    async removeFound(found) {
      const [kind, id] = found.id.split(' ');
      if (kind === 'dns' && id) {
        await deleteOwnRecord(id, undefined, false);
        return;
      }
      const server = await hetzner.getServer(Number(id));
      if (!server) return;
      if (!own.ownsServer(server, false))
        throw new UserError(
          `Server ${server.name} (${server.id}) no longer carries this fleetbot's labels (fleetbot-instance=${opts.instance}), so fleetbot left it alone. Check it in the Hetzner Console.`,
        );
      const record = found.adoptAs ? await dns.findA(fqdn(found.adoptAs.name)) : undefined;
      if (record && record.content === server.public_net.ipv4?.ip && own.ownsRecord(record, false))
        await dns.deleteRecord(record.id);
      await deleteServer(hetzner, server.id);
    },

    /**
     * An adopted server's record names it and its DNS record, so /destroy removes both; fleetbot never
     * logs in to it: the host key it pinned for the server was lost with the record.
     */
    async adoptFound(found) {
      const id = Number(/^server (\d+)$/.exec(found.id)?.[1]);
      const server = Number.isInteger(id) ? await hetzner.getServer(id) : undefined;
      const label = found.adoptAs?.name;
      if (!server || !label || !own.ownsServer(server, false))
        throw new UserError(`${found.description} is gone already; there is nothing to adopt.`);
      const ip = server.public_net.ipv4?.ip;
      const record = await dns.findA(fqdn(label));
      return {
        serverId: server.id,
        ...(ip ? { ip } : {}),
        agentLabel: label,
        ...(record && record.content === ip && own.ownsRecord(record, false, label)
          ? { dnsRecordId: record.id }
          : {}),
      };
    },

    async findRunning(agents) {
      return Promise.all(
        agents.map(async (agent) => {
          const parsed = resourcesSchema.safeParse(agent.resources);
          if (!parsed.success) return { agent, running: false, detail: 'no server recorded' };
          const server = await hetzner.getServer(parsed.data.serverId);
          if (!server || server.labels.agent !== agent.name)
            return { agent, running: false, detail: `server ${parsed.data.serverId} is gone` };
          if (server.status === 'running' && recordedWithoutDaemon(agent.resources)) {
            const health = await presence(machine, machineOf(agent), installedLayout(agent.name));
            return { agent, running: health.state === 'healthy', detail: health.detail };
          }
          return {
            agent,
            running: server.status === 'running',
            detail: `server ${server.name} is ${server.status}`,
          };
        }),
      );
    },
  };
}
