import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { agentText } from '../../core/chat/text.js';
import { checkHealth } from '../../core/fleet/healthCheck.js';
import type { AgentHealth, Found, Provider } from '../../core/fleet/provider.js';
import type { Role } from '../../core/fleet/roles.js';
import type { Plan, StepContext } from '../../core/jobs/plan.js';
import { sleep, type Clock } from '../../core/runtime/clock.js';
import { errorMessage, UserError } from '../../core/runtime/errors.js';
import type { Agent } from '../../core/store/agents.js';
import {
  agentContainer,
  containerLabels,
  containerNames,
  containerSettings,
  secretName,
} from '../docker/agentContainer.js';
import { EngineError, isNotFound, type Engine } from '../docker/engine.js';
import { logLines } from '../docker/logLines.js';
import { instanceLabel, ownsLabelled } from '../labels.js';
import { swarmChannels, type SwarmReach } from './channels.js';
import { describeNode, placementOf, type Placement } from './placement.js';
import { swarmSection } from './roleSettings.js';
import { serviceSpec, type ObjectRef } from './serviceSpec.js';
import { swarmObjects, type SwarmObjects } from './swarmObjects.js';

export type SwarmProviderOptions = {
  /** A manager's Engine: every Swarm call goes there. */
  manager: Engine;
  /** Engines of other nodes by the address Swarm knows them by, for conversations with their tasks. */
  nodeEngines: ReadonlyMap<string, Engine>;
  /** Named in the message when a node's Engine is missing. */
  nodesVariable: string;
  /** The image of roles whose `providers.docker` section names none. */
  defaultImage: string | undefined;
  /** The first port agents are published on; each agent gets the next one no service in the swarm uses. */
  portBase: number;
  healthDeadlineMs: number;
  instance: string;
  clock: Clock;
};

const refSchema = z.object({ id: z.string(), name: z.string() });
const resourcesSchema = z.object({
  service: z.string(),
  port: z.number().int(),
  rolePort: z.number().int(),
  healthPath: z.string(),
  uid: z.number().int(),
  gid: z.number().int(),
  /** How the node it last ran on was named, for noticing a move. */
  node: z.string().optional(),
});
type Resources = z.output<typeof resourcesSchema>;

/** How long a removed service's containers may take to leave its network. */
const networkFreeMs = 60_000;

/** The agent's node-local tmpfs volumes: the workspace of the docker contract, and its /tmp. */
const volumesOf = (agent: string) => ({
  workspace: containerNames(agent).volumes.workspace,
  tmp: `fleetbot-${agent}-tmp`,
});

/** Docker's object names are [a-zA-Z0-9-_.]: a role file's name, kept readable. */
const configName = (agent: string, file: string): string =>
  `fleetbot-${agent}-file-${file.replace(/[^a-zA-Z0-9_.-]/g, '-')}`;

/** Agents as Swarm services placed by Swarm across its nodes, through a manager's Engine API. */
export function createSwarmProvider(opts: SwarmProviderOptions): Provider {
  const swarm = swarmObjects(opts.manager);
  const ownedBy = { 'managed-by': 'fleetbot', [instanceLabel]: opts.instance };
  const ofAgent = (name: string) => ({ ...ownedBy, agent: name });

  const recorded = (agent: Agent): Resources => {
    const parsed = resourcesSchema.safeParse(agent.resources);
    if (!parsed.success)
      throw new UserError(
        `${agent.name} has no service on record; /destroy ${agent.name} cleans up the rest.`,
      );
    return parsed.data;
  };

  /** Ports given to deploys whose service does not exist yet, by agent name. */
  const planned = new Map<string, number>();

  /**
   * The agent's published port: the same on every node, since Swarm may move it to any. The next one
   * from the base that no service in the swarm publishes and no deploy under way was given.
   */
  const portFor = async (agent: string, neighbours: Agent[]): Promise<number> => {
    const services = await swarm.allServices();
    const used = new Set([
      ...services.flatMap((s) => (s.Spec.EndpointSpec?.Ports ?? []).map((p) => p.PublishedPort)),
      ...neighbours.flatMap((a) => resourcesSchema.partial().safeParse(a.resources).data?.port ?? []),
      ...[...planned].filter(([name]) => name !== agent).map(([, port]) => port),
    ]);
    let port = opts.portBase;
    while (used.has(port)) port++;
    planned.set(agent, port);
    return port;
  };

  const reach: SwarmReach = {
    swarm,
    nodesVariable: opts.nodesVariable,
    async engineOn(placement: Placement) {
      if (placement.node.ID === (await swarm.ownNodeId())) return opts.manager;
      return opts.nodeEngines.get(placement.address);
    },
  };

  /** The agent's health through its published port on the node that runs it, naming that node. */
  const probe = async (
    r: Resources,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<{ health: AgentHealth; taskId?: string }> => {
    const where = await placementOf(swarm, r.service);
    if ('why' in where) return { health: { state: 'unhealthy', detail: `not running: ${where.why}` } };
    const { address, node, task } = where.placement;
    const placement = describeNode(node, address);
    const checked = await checkHealth(
      `http://${address.includes(':') ? `[${address}]` : address}:${r.port}${r.healthPath}`,
      { timeoutMs, ...(signal ? { signal } : {}) },
    );
    return {
      health: { ...checked, detail: `${checked.detail} on ${placement}`, placement },
      taskId: task.ID,
    };
  };
  const health = async (r: Resources, timeoutMs: number): Promise<AgentHealth> =>
    (await probe(r, timeoutMs)).health;

  /**
   * Waits until a task answers health (another task than `replaced`, after a restart), then records
   * the node it runs on.
   */
  const awaitHealthy = async (
    r: Resources,
    ctx: StepContext,
    failed: (detail: string) => string,
    replaced?: string,
  ): Promise<{ node: string | undefined }> => {
    const deadline = ctx.clock.now() + opts.healthDeadlineMs;
    for (;;) {
      const { health: h, taskId } = await probe(r, 5_000, ctx.signal);
      const fresh = replaced === undefined || (taskId !== undefined && taskId !== replaced);
      if (h.state === 'healthy' && fresh) return { node: h.placement };
      if (ctx.clock.now() > deadline)
        throw new UserError(failed(fresh ? h.detail : 'Swarm has not replaced its task yet'));
      await sleep(ctx.clock, 1_000, ctx.signal);
    }
  };

  const removeLabelled = async (agentName: string): Promise<void> => {
    const l = ofAgent(agentName);
    for (const s of await swarm.services(l)) await swarm.removeService(s.Spec.Name);
    for (const s of await swarm.secrets(l)) await swarm.removeSecret(s.ID, s.Spec.Name);
    for (const c of await swarm.configs(l)) await swarm.removeConfig(c.ID, c.Spec.Name);
    await removeNetworks(agentName);
    await removeVolumes(agentName);
  };

  /** Every Engine fleetbot reaches: the manager's node and the nodes the settings map. */
  const reachableEngines = (): Engine[] => [opts.manager, ...opts.nodeEngines.values()];

  /**
   * The agent's tmpfs volumes on every node fleetbot reaches; its containers have left by now (its
   * network is gone), so a volume still in use is waited for like the network.
   */
  const removeVolumes = async (agentName: string): Promise<void> => {
    const deadline = opts.clock.now() + networkFreeMs;
    for (const engine of reachableEngines())
      for (const v of await volumesOn(engine, ofAgent(agentName)))
        for (;;) {
          try {
            await removeVolume(engine, v);
            break;
          } catch (err) {
            if (!(err instanceof EngineError) || opts.clock.now() > deadline) throw err;
            await sleep(opts.clock, 500);
          }
        }
  };

  /**
   * An overlay network stays in use until the service's containers have stopped on their nodes, and
   * the manager lists it until they have left it: removed, then waited for until it is gone.
   */
  const removeNetworks = async (agentName: string): Promise<void> => {
    const deadline = opts.clock.now() + networkFreeMs;
    const retry = async (err: unknown): Promise<void> => {
      if (!(err instanceof EngineError) || opts.clock.now() > deadline) throw err;
      await sleep(opts.clock, 500);
    };
    for (const n of await swarm.networks(ofAgent(agentName))) {
      for (;;) {
        try {
          await swarm.removeNetwork(n.Id, n.Name);
          break;
        } catch (err) {
          await retry(err);
        }
      }
      while (await swarm.networkExists(n.Id))
        await retry(new EngineError(`network ${n.Name} is still listed after its removal`, 409));
    }
  };

  const secretsStep = (agent: Agent, role: Role, secrets: Record<string, string>) => ({
    key: 'secrets',
    title: 'Store its secrets as Docker secrets',
    rerunnable: true,
    run: async () => {
      const labels = containerLabels(opts.instance, agent.name, role.name);
      const existing = await swarm.secrets(ofAgent(agent.name));
      const refs: Record<string, ObjectRef> = {};
      for (const [variable, value] of Object.entries(secrets)) {
        const name = secretName(agent.name, variable);
        const found = existing.find((s) => s.Spec.Name === name);
        const id = found?.ID ?? (await swarm.createSecret(name, value, labels)).ID;
        refs[variable] = { id, name };
      }
      return { secretRefs: refs };
    },
    undo: async () => {
      for (const s of await swarm.secrets(ofAgent(agent.name))) await swarm.removeSecret(s.ID, s.Spec.Name);
    },
  });

  return {
    name: 'swarm',

    async prepare({ role }) {
      containerSettings(role, opts.defaultImage);
      if (!agentContainer('check', role).daemon)
        throw new UserError(
          `Role ${role.name} has no daemon (agent.command and agent.port); a Swarm service needs one. Deploy it with another provider.`,
        );
    },

    deployPlan({ agent, role, secrets, neighbours }): Plan {
      const settings = containerSettings(role, opts.defaultImage);
      const container = agentContainer(agent.name, role);
      const daemon = container.daemon;
      if (!daemon)
        throw new UserError(
          `Role ${role.name} has no daemon (agent.command and agent.port) to run as a service.`,
        );
      const names = containerNames(agent.name);
      const labels = containerLabels(opts.instance, agent.name, role.name);
      const { constraints } = swarmSection(role);
      const out = <T>(ctx: StepContext, step: string, key: string, schema: z.ZodType<T>): T =>
        schema.parse(ctx.outputs[step]?.[key]);
      return [
        {
          key: 'place',
          title: 'Choose its published port',
          rerunnable: true,
          run: async (ctx) => {
            const earlier = z.number().int().safeParse(ctx.earlier['port']);
            const port = earlier.success ? earlier.data : await portFor(agent.name, neighbours);
            const r: Resources = {
              service: names.container,
              port,
              rolePort: daemon.port,
              healthPath: daemon.healthPath,
              uid: settings.uid,
              gid: settings.gid,
            };
            return r;
          },
          // A deploy that ends before its service exists gives its port back.
          undo: async () => void planned.delete(agent.name),
        },
        {
          key: 'network',
          title: `Create its overlay network ${names.network}`,
          rerunnable: true,
          run: async () => {
            const [existing] = await swarm.networks(ofAgent(agent.name));
            return { networkId: existing?.Id ?? (await swarm.createNetwork(names.network, labels)).Id };
          },
          undo: () => removeNetworks(agent.name),
        },
        secretsStep(agent, role, secrets),
        {
          key: 'configs',
          title: 'Store its role files as Docker configs',
          rerunnable: true,
          run: async () => {
            const existing = await swarm.configs(ofAgent(agent.name));
            const refs: Record<string, ObjectRef> = {};
            for (const [file, local] of Object.entries(container.files)) {
              const name = configName(agent.name, file);
              const found = existing.find((c) => c.Spec.Name === name);
              const id = found?.ID ?? (await swarm.createConfig(name, readFileSync(local), labels)).ID;
              refs[file] = { id, name };
            }
            return { configRefs: refs };
          },
          undo: async () => {
            for (const c of await swarm.configs(ofAgent(agent.name)))
              await swarm.removeConfig(c.ID, c.Spec.Name);
          },
        },
        {
          key: 'service',
          title: `Create service ${names.container}`,
          needs: ['place', 'network', 'secrets', 'configs'],
          rerunnable: true,
          run: async (ctx) => {
            const existing = await swarm.service(names.container);
            if (existing) {
              if (
                !ownsLabelled(existing.Spec.Labels, opts.instance, false) ||
                existing.Spec.Labels['agent'] !== agent.name
              )
                throw new UserError(
                  `A service called ${names.container} already exists and is not this agent's; remove it (docker service rm ${names.container}) or pick another name.`,
                );
              return { serviceId: existing.ID };
            }
            const spec = serviceSpec({
              name: names.container,
              labels,
              container: { ...container, daemon },
              settings,
              constraints,
              volumes: volumesOf(agent.name),
              networkId: out(ctx, 'network', 'networkId', z.string()),
              publishedPort: out(ctx, 'place', 'port', z.number()),
              secrets: out(ctx, 'secrets', 'secretRefs', z.record(z.string(), refSchema)),
              configs: out(ctx, 'configs', 'configRefs', z.record(z.string(), refSchema)),
            });
            const { ID } = await swarm.createService(spec, names.container);
            planned.delete(agent.name);
            return { serviceId: ID };
          },
          undo: () => swarm.removeService(names.container),
        },
        {
          key: 'health',
          title: 'Wait until Swarm runs it and it answers health',
          rerunnable: true,
          timeoutMs: opts.healthDeadlineMs + 10_000,
          run: (ctx) =>
            awaitHealthy(
              resourcesSchema.parse(ctx.outputs['place']),
              ctx,
              (detail) =>
                `${agent.name} did not answer health within ${Math.round(opts.healthDeadlineMs / 1000)} s (${detail}); /logs ${agent.name} shows what it said.`,
            ),
        },
      ];
    },

    restartPlan(agent): Plan {
      const r = recorded(agent);
      return [
        {
          key: 'restart',
          title: `Replace ${agent.name}'s task (force update)`,
          run: async () => {
            const service = await swarm.service(r.service);
            if (!service)
              throw new UserError(
                `Service ${r.service} is gone; /destroy ${agent.name} and deploy it again.`,
              );
            const before = await placementOf(swarm, r.service);
            const template = service.Spec.TaskTemplate;
            await swarm.updateService(service, {
              ...service.Spec,
              TaskTemplate: { ...template, ForceUpdate: (template.ForceUpdate ?? 0) + 1 },
            });
            return 'placement' in before ? { replaced: before.placement.task.ID } : {};
          },
        },
        {
          key: 'health',
          title: 'Wait until its new task answers health',
          rerunnable: true,
          timeoutMs: opts.healthDeadlineMs + 10_000,
          run: (ctx) =>
            awaitHealthy(
              r,
              ctx,
              (detail) => `${agent.name} is not healthy after its restart: ${detail}`,
              z.string().optional().parse(ctx.outputs['restart']?.['replaced']),
            ),
        },
      ];
    },

    destroyPlan(agent): Plan {
      return [
        {
          key: 'remove',
          title: `Remove ${agent.name}'s service, secrets, configs and network`,
          rerunnable: true,
          run: async () => {
            await removeLabelled(agent.name);
            return { node: undefined };
          },
        },
      ];
    },

    async status(agent) {
      return health(recorded(agent), 10_000);
    },

    check: async (agent, timeoutMs) => health(recorded(agent), timeoutMs),

    async logs(agent, lines) {
      const r = recorded(agent);
      return logLines(
        opts.manager,
        `/services/${encodeURIComponent(r.service)}/logs`,
        `reading ${agent.name}'s logs`,
        lines,
      );
    },

    channels(agent, role) {
      const r = recorded(agent);
      return swarmChannels(reach, {
        files: agentContainer(agent.name, role).files,
        name: agent.name,
        service: r.service,
        uid: r.uid,
        gid: r.gid,
        ports: { role: r.rolePort, published: r.port },
      });
    },

    async findRunning(agents) {
      return Promise.all(
        agents.map(async (agent) => {
          const r = resourcesSchema.safeParse(agent.resources);
          if (!r.success) return { agent, running: false, detail: 'no service recorded' };
          try {
            if (!(await swarm.service(r.data.service)))
              return { agent, running: false, detail: `service ${r.data.service} is gone` };
            const where = await placementOf(swarm, r.data.service);
            return {
              agent,
              running: true,
              detail:
                'why' in where
                  ? `service ${r.data.service} exists; ${where.why}`
                  : `runs on ${describeNode(where.placement.node, where.placement.address)}`,
            };
          } catch (err) {
            return { agent, running: false, detail: errorMessage(err) };
          }
        }),
      );
    },

    async inventory(agents) {
      return swarmInventory(swarm, reachableEngines(), opts.instance, agents);
    },

    async removeFound(found) {
      const name = agentOfFound(found);
      await removeLabelled(name);
    },

    async adoptFound(found) {
      const name = agentOfFound(found);
      const service = await swarm.service(containerNames(name).container);
      if (!service)
        throw new UserError(`${found.description} has no service left to adopt; Delete it instead.`);
      const container = z
        .object({ User: z.string().optional() })
        .loose()
        .parse((service.Spec.TaskTemplate as { ContainerSpec?: unknown }).ContainerSpec ?? {});
      const [uid, gid] = (container.User ?? '').split(':').map(Number);
      const port = service.Spec.EndpointSpec?.Ports?.[0];
      // The role's health path is not on the service; an adopted agent is checked where agents answer.
      return {
        service: service.Spec.Name,
        port: port?.PublishedPort,
        rolePort: port?.TargetPort,
        healthPath: '/health',
        uid,
        gid: gid ?? uid,
      };
    },
  };
}

const volumeList = z.object({
  Volumes: z
    .array(
      z.object({
        Name: z.string(),
        CreatedAt: z.string().optional(),
        Labels: z.record(z.string(), z.string()).nullish(),
      }),
    )
    .nullish(),
});

/** The volumes an Engine holds with these labels. */
const volumesOn = async (engine: Engine, labels: Record<string, string>) =>
  (
    await engine.json('GET', '/volumes', volumeList, {
      what: 'listing volumes',
      query: { filters: JSON.stringify({ label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) }) },
    })
  ).Volumes ?? [];

const removeVolume = (engine: Engine, v: { Name: string }): Promise<void> =>
  engine
    .send('DELETE', `/volumes/${encodeURIComponent(v.Name)}`, { what: `removing volume ${v.Name}` })
    .catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });

const foundPrefix = 'agent ';
const agentOfFound = (found: Found): string => {
  if (!found.id.startsWith(foundPrefix)) throw new UserError(`${found.description} is not a Swarm agent's.`);
  return found.id.slice(foundPrefix.length);
};

/**
 * What this fleetbot made in the swarm, grouped by the agent its labels name: a group no live agent
 * record names is an orphan (adoptable when its service is there), and a running agent without its
 * service is lost.
 */
async function swarmInventory(
  swarm: SwarmObjects,
  engines: Engine[],
  instance: string,
  agents: Agent[],
): Promise<{ found: Found[]; lost: { agent: Agent; detail: string }[] }> {
  const mine = { 'managed-by': 'fleetbot', [instanceLabel]: instance };
  const [services, secrets, configs, networks] = await Promise.all([
    swarm.services(mine),
    swarm.secrets(mine),
    swarm.configs(mine),
    swarm.networks(mine),
  ]);
  type Group = { parts: string[]; createdAt: number; role?: string; service: boolean };
  const groups = new Map<string, Group>();
  const add = (
    labels: Record<string, string>,
    part: string,
    created: string | undefined,
    service = false,
  ) => {
    const name = labels['agent'];
    if (!name) return;
    const g = groups.get(name) ?? { parts: [], createdAt: Infinity, service: false };
    g.parts.push(part);
    g.createdAt = Math.min(g.createdAt, created ? Date.parse(created) : Infinity);
    if (service) g.service = true;
    if (labels['role']) g.role = labels['role'];
    groups.set(name, g);
  };
  for (const s of services) add(s.Spec.Labels, `service ${s.Spec.Name}`, s.CreatedAt, true);
  for (const s of secrets) add(s.Spec.Labels, `secret ${s.Spec.Name}`, s.CreatedAt);
  for (const c of configs) add(c.Spec.Labels, `config ${c.Spec.Name}`, c.CreatedAt);
  for (const n of networks) add(n.Labels, `network ${n.Name}`, n.Created);
  for (const engine of engines)
    for (const v of await volumesOn(engine, mine)) add(v.Labels ?? {}, `volume ${v.Name}`, v.CreatedAt);

  const live = agents.filter((a) => a.status !== 'destroyed' && a.status !== 'failed');
  const found: Found[] = [...groups].map(([name, g]) => {
    const owner = live.find((a) => a.name === name);
    return {
      id: `${foundPrefix}${name}`,
      description: agentText(g.parts.join(', '), 400),
      createdAt: Number.isFinite(g.createdAt) ? g.createdAt : 0,
      ...(owner ? { agentId: owner.id } : {}),
      ...(!owner && g.service && g.role ? { adoptAs: { name, role: g.role } } : {}),
    };
  });
  const lost = live
    .filter((a) => a.status === 'running' && !groups.get(a.name)?.service)
    .map((agent) => ({
      agent,
      detail: `its service ${containerNames(agent.name).container} is gone from the swarm`,
    }));
  return { found, lost };
}
