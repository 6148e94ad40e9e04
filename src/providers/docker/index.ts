import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { checkHealth } from '../../core/fleet/healthCheck.js';
import type { AgentHealth, Found, Provider } from '../../core/fleet/provider.js';
import { daemonOf, type Role } from '../../core/fleet/roles.js';
import type { Plan, Step, StepContext } from '../../core/jobs/plan.js';
import { sleep, type Clock } from '../../core/runtime/clock.js';
import { errorMessage, UserError } from '../../core/runtime/errors.js';
import type { Agent } from '../../core/store/agents.js';
import { managedLabels } from '../labels.js';
import {
  agentContainer,
  containerLabels,
  containerNames,
  containerPaths,
  containerWalls,
  dockerSection,
  envList,
  hostPortLabel,
  inContainer,
  launcher,
  type ContainerWalls,
} from './agentContainer.js';
import type { Engine } from './engine.js';
import { logLines } from './logLines.js';
import { execProcess } from './exec.js';
import { dockerImages } from './images.js';
import {
  created,
  inspectContainer,
  labelled,
  publishedPort,
  removeAll,
  removeContainer,
  type ContainerInspect,
  type Labelled,
} from './objects.js';
import type { PortReach } from './reach.js';
import type { SubnetPicker } from './subnets.js';
import { tarball, type TarEntry } from './tarball.js';

/** With FLEETBOT_DOMAIN, the steps that put https://<name>.<domain> in front of a published port. */
export type PublicSite = {
  steps(agentName: string, healthPath: string, hostPort: (ctx: StepContext) => number): Step[];
  remove(agentName: string): Promise<void>;
};

export type DockerProviderOptions = {
  engine: Engine;
  reach: PortReach;
  /** This fleetbot's instance id, on every label: it manages only what carries it. */
  instance: string;
  /**
   * FLEETBOT_DOCKER_IMAGE: the image of roles whose providers.docker names none and that have no image
   * built by `/image build`, and what those builds start from when the role names no base.
   */
  defaultImage: string | undefined;
  clock: Clock;
  healthDeadlineMs: number;
  pollMs: number;
  /** Where each agent's network gets its subnet (FLEETBOT_DOCKER_SUBNETS). */
  subnets: SubnetPicker;
  /** Caddy on a remote Docker host; absent on a local socket, where fleetbot does not touch its own host's web server. */
  site?: PublicSite | undefined;
};

/** What a docker agent's record holds: the name its Docker objects carry, where its port is published. */
const resourcesSchema = z.object({
  /** The agent name on its container, volumes and network (an adopted agent may have been renamed). */
  docker: z.string(),
  user: z.string(),
  port: z.number().int(),
  hostPort: z.number().int(),
  healthPath: z.string(),
  healthUrl: z.string().optional(),
  /** The image its container was made from, as chosen when it was deployed. */
  image: z.string().optional(),
});
type Resources = z.output<typeof resourcesSchema>;

const noDaemon = (role: Role): string =>
  `Role ${role.name} has no daemon (agent.command and agent.port); the docker provider runs agents that have one.`;

/** How long a container may take to stop before the Engine kills it. */
const stopSeconds = 10;

/**
 * Agents as containers on one Docker Engine (DOCKER_HOST): each in its own network, with its own
 * volumes for its workspace, role files and secrets, running as a non-root uid on a read-only root
 * with every capability dropped, its port published on the Docker host's 127.0.0.1 only.
 */
export function createDockerProvider(opts: DockerProviderOptions): Provider {
  const { engine, reach, instance, clock } = opts;
  const ownLabels = managedLabels(instance);
  const images = dockerImages({ engine, instance, defaultImage: opts.defaultImage });

  /** The image a deploy of the role runs: the one it names, else the newest built for it, else the default. */
  const imageFor = async (role: Role): Promise<string> => {
    const image = dockerSection(role).image ?? (await images.newest(role.name)) ?? opts.defaultImage;
    if (!image)
      throw new UserError(
        `Role ${role.name} has no image on ${engine.where}: run /image build ${role.name} --provider docker (from providers.docker.base), or set providers.docker.image in ${role.file}, or FLEETBOT_DOCKER_IMAGE for every role.`,
      );
    return image;
  };

  const recorded = (agent: Agent): Resources => {
    const parsed = resourcesSchema.safeParse(agent.resources);
    if (!parsed.success)
      throw new UserError(
        `${agent.name} has no container on record; /destroy ${agent.name} cleans up whatever is left.`,
      );
    return parsed.data;
  };
  const current = (ctx: StepContext, agent: Agent): Resources =>
    resourcesSchema.parse({ ...agent.resources, ...Object.assign({}, ...Object.values(ctx.outputs)) });

  /** Everything this fleetbot made for the agent whose objects carry `name`, found by labels. */
  const madeFor = (name: string): Promise<Labelled> => labelled(engine, { ...ownLabels, agent: name });

  /** Ports given to deploys whose containers have not started yet (or been removed), by agent name. */
  const planned = new Map<string, number>();

  /**
   * The host port the agent's port is published on: its own when a resumed deploy recorded one, else
   * the role's port or the next one that no neighbour has recorded or planned and no container on
   * the Docker host publishes.
   */
  const placePort = async (agent: Agent, base: number, neighbours: Agent[]): Promise<number> => {
    const own = resourcesSchema.partial().safeParse(agent.resources).data?.hostPort;
    if (own !== undefined) return own;
    const containers = await engine.json(
      'GET',
      '/containers/json',
      z.array(
        z.object({
          Ports: z.array(z.object({ PublicPort: z.number().int().optional() })).default([]),
          Labels: z.record(z.string(), z.string()).nullable().default({}),
        }),
      ),
      { what: 'listing the ports containers publish', query: { all: true } },
    );
    const used = new Set([
      ...neighbours.flatMap((a) => {
        const port = resourcesSchema.partial().safeParse(a.resources).data?.hostPort;
        return port === undefined ? [] : [port];
      }),
      // Deploys on their way whose containers do not publish yet: a created container lists no ports.
      ...[...planned].flatMap(([name, port]) => (name === agent.name ? [] : [port])),
      ...containers.flatMap((c) =>
        c.Ports.flatMap((p) => (p.PublicPort === undefined ? [] : [p.PublicPort])),
      ),
      // A stopped or restarting container lists no ports but takes its own back when it starts.
      ...containers.flatMap((c) => {
        const port = z.coerce.number().int().safeParse(c.Labels?.[hostPortLabel]);
        return port.success ? [port.data] : [];
      }),
    ]);
    let port = base;
    while (used.has(port)) port++;
    planned.set(agent.name, port);
    return port;
  };

  /** The daemon's health through its published port, and that the container publishing it is the agent's. */
  const health = async (r: Resources, timeoutMs: number, signal?: AbortSignal): Promise<AgentHealth> => {
    const names = containerNames(r.docker);
    let c: ContainerInspect | undefined;
    try {
      c = await inspectContainer(engine, names.container);
    } catch (err) {
      return { state: 'unhealthy', detail: errorMessage(err) };
    }
    if (!c) return { state: 'stopped', detail: `container ${names.container} does not exist` };
    if (!c.State.Running)
      return {
        state: 'stopped',
        detail: `container ${names.container} is ${c.State.Status}${c.State.Status === 'exited' ? ` (code ${c.State.ExitCode})` : ''}`,
      };
    if (publishedPort(c, r.port) !== r.hostPort)
      return {
        state: 'unhealthy',
        detail: `container ${names.container} does not publish port ${r.port} on ${r.hostPort}; /restart ${r.docker}`,
      };
    const answer = await checkHealth(`http://127.0.0.1:${r.hostPort}${r.healthPath}`, {
      timeoutMs,
      dispatcher: reach.dispatcher,
      ...(signal ? { signal } : {}),
    });
    return { ...answer, detail: `${answer.detail} (container ${c.State.Status})` };
  };

  /** The container's last output lines, for a failure: they usually say why it did not answer. */
  const containerLog = (container: string, lines: number): Promise<string[]> =>
    logLines(
      engine,
      `/containers/${encodeURIComponent(container)}/logs`,
      `reading the log of ${container}`,
      lines,
    );

  const healthStep = (agent: Agent): Step => ({
    key: 'health',
    title: 'Wait for health',
    rerunnable: true,
    timeoutMs: opts.healthDeadlineMs + 15_000,
    run: async (ctx) => {
      const r = current(ctx, agent);
      const deadline = clock.now() + opts.healthDeadlineMs;
      let last: AgentHealth = { state: 'unhealthy', detail: 'not checked yet' };
      while (clock.now() < deadline) {
        last = await health(r, 2_000, ctx.signal);
        if (last.state === 'healthy') {
          const url = reach.localUrl(r.hostPort);
          return url && !opts.site ? { url } : {};
        }
        await sleep(clock, opts.pollMs, ctx.signal);
      }
      const tail = await containerLog(containerNames(r.docker).container, 5).catch(() => []);
      throw new UserError(
        `${agent.name} gave no healthy answer within ${Math.round(opts.healthDeadlineMs / 1000)} s (${last.detail}).${tail.length > 0 ? ` Its last output: ${tail.join(' | ')}` : ''}`,
      );
    },
  });

  /** The volumes' first content: the workspace owned by the agent, the role's files, one file per secret. */
  const seedArchive = (s: ContainerWalls, files: Record<string, string>, secrets: Record<string, string>) => {
    const root = { uid: 0, gid: 0 };
    const agentOwned = { uid: s.uid, gid: s.gid };
    const entries: TarEntry[] = [
      { name: 'workspace', mode: 0o700, ...agentOwned },
      { name: 'files', mode: 0o755, ...root },
      ...Object.entries(files).map(([name, local]) => ({
        name: `files/${name}`,
        mode: 0o444,
        ...root,
        content: readFileSync(local),
      })),
      { name: 'secrets', mode: 0o500, ...agentOwned },
      ...Object.entries(secrets).map(([name, value]) => ({
        name: `secrets/${name}`,
        mode: 0o400,
        ...agentOwned,
        content: Buffer.from(value),
      })),
    ];
    return tarball(entries);
  };

  const deploySteps = (
    agent: Agent,
    role: Role,
    secrets: Record<string, string>,
    neighbours: Agent[],
  ): Plan => {
    const names = containerNames(agent.name);
    const settings = containerWalls(role);
    const named = dockerSection(role).image;
    const spec = agentContainer(agent.name, role);
    const daemon = spec.daemon;
    if (!daemon) throw new UserError(noDaemon(role));
    const labels = containerLabels(instance, agent.name, role.name);
    const user = `${settings.uid}:${settings.gid}`;
    const mounts = (at: { workspace: string; files: string; secrets: string }, readOnly: boolean) => [
      {
        Type: 'volume',
        Source: names.volumes.workspace,
        Target: at.workspace,
        VolumeOptions: { NoCopy: true },
      },
      {
        Type: 'volume',
        Source: names.volumes.files,
        Target: at.files,
        ReadOnly: readOnly,
        VolumeOptions: { NoCopy: true },
      },
      {
        Type: 'volume',
        Source: names.volumes.secrets,
        Target: at.secrets,
        ReadOnly: readOnly,
        VolumeOptions: { NoCopy: true },
      },
    ];
    const removeMade = async (): Promise<void> => {
      planned.delete(agent.name);
      await removeAll(engine, await madeFor(agent.name));
    };

    return [
      {
        key: 'image',
        rerunnable: true,
        title: named
          ? `Use image ${named}`
          : `Choose the image: the newest build of ${role.name}, else the default`,
        // Recorded, so the volumes and the container (and a resumed deploy's) use the same one.
        run: async () => ({ image: await imageFor(role) }),
      },
      {
        key: 'place',
        // Beside the image's: neither needs the other.
        needs: [],
        rerunnable: true,
        title: `Choose a port on ${engine.where}`,
        run: async (ctx) => {
          const hostPort =
            z.number().int().optional().parse(ctx.earlier['hostPort']) ??
            (await placePort(agent, daemon.port, neighbours));
          return { docker: agent.name, user, port: daemon.port, hostPort, healthPath: daemon.healthPath };
        },
        // A deploy that ends before its container runs gives its port back.
        undo: async () => void planned.delete(agent.name),
      },
      {
        key: 'network',
        rerunnable: true,
        title: `Create network ${names.network}`,
        run: async () => {
          const found = await madeFor(agent.name);
          if (found.networks.some((n) => n.Name === names.network)) return;
          try {
            // Another fleetbot on this Engine may take the same subnet between the pick and the
            // create: the Engine then refuses it as overlapping, and the next free one is tried.
            for (let attempt = 1; ; attempt++) {
              const subnet = await opts.subnets.pick(engine, agent.name);
              try {
                await engine.json('POST', '/networks/create', created, {
                  what: `creating network ${names.network} (${subnet})`,
                  body: {
                    Name: names.network,
                    Driver: 'bridge',
                    CheckDuplicate: true,
                    IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] },
                    Labels: labels,
                  },
                });
                return;
              } catch (err) {
                if (attempt >= 3 || !/overlap/i.test(errorMessage(err))) throw err;
              }
            }
          } finally {
            opts.subnets.settle(agent.name);
          }
        },
        // Whatever a later step made holds the network: everything the agent had goes, by its labels.
        undo: removeMade,
      },
      // The network and the volumes do not need each other: made at once, as the Engine takes a few
      // hundred milliseconds over each and nothing else can happen before both exist (B10).
      {
        key: 'volumes',
        needs: ['image', 'place'],
        rerunnable: true,
        title: 'Put workspace, role files and secrets into volumes',
        run: async (ctx) => {
          const { image } = current(ctx, agent);
          await Promise.all(
            Object.values(names.volumes).map((volume) =>
              engine.json('POST', '/volumes/create', z.object({ Name: z.string() }), {
                what: `creating volume ${volume}`,
                body: { Name: volume, Labels: labels },
              }),
            ),
          );
          // A container that never runs holds the volumes while the Engine unpacks the files into them.
          await removeContainer(engine, names.seed);
          const seed = await engine.json('POST', '/containers/create', created, {
            what: `creating ${names.seed}`,
            query: { name: names.seed },
            body: {
              Image: image,
              Cmd: ['true'],
              Labels: labels,
              NetworkDisabled: true,
              HostConfig: {
                NetworkMode: 'none',
                Mounts: mounts(
                  { workspace: '/seed/workspace', files: '/seed/files', secrets: '/seed/secrets' },
                  false,
                ),
              },
            },
          });
          await engine.send('PUT', `/containers/${seed.Id}/archive`, {
            what: `putting ${agent.name}'s files into its volumes`,
            query: { path: '/seed' },
            raw: { body: seedArchive(settings, spec.files, secrets), contentType: 'application/x-tar' },
          });
        },
        // Whichever of the network and the volumes came first, everything the agent had goes.
        undo: removeMade,
      },
      // While the agent's container is made: the seed holds the volumes, not the agent's way to start.
      {
        key: 'unseed',
        needs: ['volumes'],
        rerunnable: true,
        title: `Remove seed container ${names.seed}`,
        run: async () => {
          await removeContainer(engine, names.seed);
        },
      },
      {
        key: 'container',
        needs: ['network', 'volumes'],
        rerunnable: true,
        title: `Create container ${names.container}${named ? ` from ${named}` : ''}`,
        run: async (ctx) => {
          const r = current(ctx, agent);
          // A run cut short may have left one: made again, from this deploy's settings.
          await removeContainer(engine, names.container);
          const port = `${daemon.port}/tcp`;
          await engine.json('POST', '/containers/create', created, {
            what: `creating container ${names.container}`,
            query: { name: names.container },
            body: {
              Image: r.image,
              User: user,
              Env: envList(spec.env),
              Cmd: launcher(daemon.argv),
              WorkingDir: containerPaths.workspace,
              Labels: { ...labels, [hostPortLabel]: String(r.hostPort) },
              ExposedPorts: { [port]: {} },
              HostConfig: {
                NetworkMode: names.network,
                PortBindings: { [port]: [{ HostIp: '127.0.0.1', HostPort: String(r.hostPort) }] },
                Mounts: mounts(containerPaths, true),
                ReadonlyRootfs: true,
                Tmpfs: { '/tmp': 'rw,nosuid,nodev,size=64m' },
                CapDrop: ['ALL'],
                SecurityOpt: ['no-new-privileges:true'],
                Memory: settings.memoryBytes,
                NanoCpus: settings.nanoCpus,
                PidsLimit: settings.pids,
                RestartPolicy: { Name: 'unless-stopped' },
              },
            },
          });
        },
        undo: async () => removeContainer(engine, names.container),
      },
      {
        key: 'start',
        rerunnable: true,
        title: `Start ${names.container}`,
        run: async () => {
          await engine.send('POST', `/containers/${names.container}/start`, {
            what: `starting ${names.container}`,
          });
          // Running, it lists its published port like any container.
          planned.delete(agent.name);
        },
      },
      healthStep(agent),
      ...(opts.site?.steps(agent.name, daemon.healthPath, (ctx) => current(ctx, agent).hostPort) ?? []),
    ];
  };

  /** Whose a labelled object is: the agent its labels name, if it is one of `agents`. */
  const ownerOf = (agents: Agent[], name: string | undefined): Agent | undefined =>
    name === undefined
      ? undefined
      : agents.find((a) => (resourcesSchema.safeParse(a.resources).data?.docker ?? a.name) === name);

  return {
    name: 'docker',

    async prepare({ role }) {
      if (!daemonOf(role)) throw new UserError(noDaemon(role));
      await imageFor(role);
    },

    deployPlan: ({ agent, role, secrets, neighbours }) => deploySteps(agent, role, secrets, neighbours),

    restartPlan(agent): Plan {
      const r = recorded(agent);
      const container = containerNames(r.docker).container;
      return [
        {
          key: 'restart',
          rerunnable: true,
          title: `Restart ${container}`,
          run: async () => {
            await engine.send('POST', `/containers/${container}/restart`, {
              what: `restarting ${container}`,
              query: { t: stopSeconds },
              timeoutMs: (stopSeconds + 30) * 1000,
            });
          },
        },
        healthStep(agent),
      ];
    },

    destroyPlan(agent): Plan {
      const name = resourcesSchema.partial().safeParse(agent.resources).data?.docker ?? agent.name;
      return [
        {
          key: 'remove',
          rerunnable: true,
          title: `Remove ${agent.name}'s container, volumes and network`,
          run: async () => {
            await opts.site?.remove(name);
            await removeAll(engine, await madeFor(name));
            return { hostPort: undefined, url: undefined };
          },
        },
      ];
    },

    async status(agent) {
      return health(recorded(agent), 10_000);
    },

    async check(agent, timeoutMs) {
      return health(recorded(agent), timeoutMs);
    },

    async logs(agent, lines) {
      return containerLog(containerNames(recorded(agent).docker).container, lines);
    },

    channels(agent, role) {
      const r = recorded(agent);
      const container = containerNames(r.docker).container;
      const { files } = agentContainer(r.docker, role);
      return {
        spawn: (argv) => execProcess(engine, container, { user: r.user, argv: inContainer(argv, files) }),
        // The role's port is where the agent listens in its container; fleetbot reaches it where it is published.
        connect: async (port) => {
          if (port !== r.port)
            throw new UserError(`${agent.name} publishes only its port ${r.port}, not ${port}.`);
          return reach.connect(r.hostPort).catch((err: Error) => {
            throw new UserError(
              `Nothing answered on ${agent.name}'s port (${r.hostPort} on ${engine.where}): ${err.message}; is it running?`,
            );
          });
        },
      };
    },

    images,

    async findRunning(agents) {
      return Promise.all(
        agents.map(async (agent) => {
          const parsed = resourcesSchema.safeParse(agent.resources);
          if (!parsed.success) return { agent, running: false, detail: 'no container recorded' };
          const name = containerNames(parsed.data.docker).container;
          try {
            const c = await inspectContainer(engine, name);
            if (!c) return { agent, running: false, detail: `container ${name} does not exist` };
            return { agent, running: c.State.Running, detail: `container ${name} is ${c.State.Status}` };
          } catch (err) {
            return { agent, running: false, detail: errorMessage(err) };
          }
        }),
      );
    },

    async inventory(agents) {
      const all = await labelled(engine, ownLabels);
      const byAgent = new Map<
        string,
        { containers: string[]; volumes: string[]; networks: string[]; role?: string; createdAt: number }
      >();
      const entry = (labels: Record<string, string>, createdAt: number) => {
        const name = labels['agent'] ?? '(no agent label)';
        const e = byAgent.get(name) ?? { containers: [], volumes: [], networks: [], createdAt };
        if (labels['role']) e.role = labels['role'];
        e.createdAt = Math.min(e.createdAt, createdAt);
        byAgent.set(name, e);
        return e;
      };
      for (const c of all.containers)
        entry(c.Labels, c.Created * 1000).containers.push(c.Names[0]?.replace(/^\//, '') ?? c.Id);
      for (const v of all.volumes)
        entry(v.Labels, v.CreatedAt ? Date.parse(v.CreatedAt) : 0).volumes.push(v.Name);
      for (const n of all.networks) entry(n.Labels, Date.parse(n.Created)).networks.push(n.Name);
      const found = [...byAgent.entries()].map(([name, e]): Found => {
        const owner = ownerOf(agents, name);
        const parts = [
          ...e.containers.map((c) => `container ${c}`),
          ...(e.volumes.length > 0 ? [`${e.volumes.length} volume${e.volumes.length === 1 ? '' : 's'}`] : []),
          ...e.networks.map((n) => `network ${n}`),
        ];
        return {
          id: `agent ${name}`,
          description: `${parts.join(', ')} of agent ${name} on ${engine.where}`,
          createdAt: e.createdAt,
          ...(owner ? { agentId: owner.id } : {}),
          ...(e.role && e.containers.includes(containerNames(name).container)
            ? { adoptAs: { name, role: e.role } }
            : {}),
        };
      });
      const lost = agents.flatMap((agent) => {
        const r = resourcesSchema.safeParse(agent.resources).data;
        if (!r || agent.status !== 'running') return [];
        const container = containerNames(r.docker).container;
        return byAgent.get(r.docker)?.containers.includes(container)
          ? []
          : [{ agent, detail: `its container ${container} no longer exists on ${engine.where}` }];
      });
      return { found, lost };
    },

    async removeFound(found) {
      const name = /^agent (.+)$/.exec(found.id)?.[1];
      if (!name) throw new UserError(`fleetbot's docker provider did not find ${found.id}.`);
      await opts.site?.remove(name);
      await removeAll(engine, await madeFor(name));
    },

    async adoptFound(found) {
      const name = /^agent (.+)$/.exec(found.id)?.[1] ?? '';
      const container = containerNames(name).container;
      const c = await inspectContainer(engine, container);
      const port = c && Object.keys(c.NetworkSettings.Ports ?? {})[0];
      const hostPort = c && port ? publishedPort(c, Number.parseInt(port, 10)) : undefined;
      if (!c || !port || hostPort === undefined)
        throw new UserError(`${container} no longer publishes a port on ${engine.where}; Delete it instead.`);
      return {
        docker: name,
        user: c.Config.User,
        port: Number.parseInt(port, 10),
        hostPort,
        healthPath: '/health',
      };
    },
  };
}
