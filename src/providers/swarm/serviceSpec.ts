import {
  containerPaths,
  envList,
  launcher,
  type AgentContainer,
  type ContainerSettings,
} from '../docker/agentContainer.js';

/** A Swarm secret or config as the service refers to it: by id, with the name for people reading it. */
export type ObjectRef = { id: string; name: string };

export type ServiceSpecInput = {
  name: string;
  labels: Record<string, string>;
  container: AgentContainer & { daemon: NonNullable<AgentContainer['daemon']> };
  settings: ContainerSettings;
  /** Role section `providers.swarm`: where Swarm may place the agent. */
  constraints: string[];
  networkId: string;
  /** The port the agent is published on, on whichever node runs it. */
  publishedPort: number;
  /** Secret refs by the variable they hold. */
  secrets: Record<string, ObjectRef>;
  /** Config refs by the role file's name inside the container. */
  configs: Record<string, ObjectRef>;
  /** The node-local volumes of its workspace and /tmp, by name. */
  volumes: { workspace: string; tmp: string };
  /** Bumped to make Swarm replace the task with the same spec (a restart). */
  forceUpdate?: number;
};

/**
 * A tmpfs as a named volume of the local driver on whichever node runs the task: Swarm does not
 * apply a plain tmpfs mount's mode (Engine 20.10), and only the driver's mount options give the
 * agent's uid its own folder. Named and labelled (an anonymous one outlives the task's container),
 * so destroy and reconciliation find it on every node fleetbot reaches.
 */
const tmpfsVolume = (name: string, target: string, options: string, labels: Record<string, string>) => ({
  Type: 'volume',
  Source: name,
  Target: target,
  VolumeOptions: {
    Labels: labels,
    DriverConfig: {
      Name: 'local',
      Options: { type: 'tmpfs', device: 'tmpfs', o: `${options},nosuid,nodev` },
    },
  },
});

const readOnlyForAll = 0o444;
const ownerReadOnly = 0o400;

/**
 * The service that runs one agent: one replica restarted whenever it stops, the role's image, user
 * and limits, a read-only root filesystem with tmpfs workspace and /tmp, every capability dropped,
 * secrets as 0400 files of the agent's uid (the launcher exports them: never in Env or Args), role
 * files as root-owned configs, its own overlay network, and its port published in host mode on the
 * node that runs it (the ingress mesh is not used). An init process runs first, so a stop is quick.
 */
export function serviceSpec(input: ServiceSpecInput): Record<string, unknown> {
  const { settings, container } = input;
  const uid = String(settings.uid);
  const gid = String(settings.gid);
  return {
    Name: input.name,
    Labels: input.labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: settings.image,
        Labels: input.labels,
        Command: launcher(container.daemon.argv),
        Env: envList(container.env),
        Dir: containerPaths.workspace,
        User: `${uid}:${gid}`,
        ReadOnly: true,
        // tini as PID 1 passes SIGTERM on and reaps what conversations leave behind.
        Init: true,
        CapabilityDrop: ['ALL'],
        Mounts: [
          tmpfsVolume(
            input.volumes.workspace,
            containerPaths.workspace,
            `uid=${uid},gid=${gid},mode=0700`,
            input.labels,
          ),
          tmpfsVolume(input.volumes.tmp, '/tmp', 'mode=1777', input.labels),
        ],
        Secrets: Object.entries(input.secrets).map(([variable, ref]) => ({
          File: { Name: variable, UID: uid, GID: gid, Mode: ownerReadOnly },
          SecretID: ref.id,
          SecretName: ref.name,
        })),
        Configs: Object.entries(input.configs).map(([file, ref]) => ({
          File: { Name: `${containerPaths.files}/${file}`, UID: '0', GID: '0', Mode: readOnlyForAll },
          ConfigID: ref.id,
          ConfigName: ref.name,
        })),
        StopGracePeriod: 10_000_000_000,
      },
      Resources: {
        Limits: { NanoCPUs: settings.nanoCpus, MemoryBytes: settings.memoryBytes, Pids: settings.pids },
      },
      RestartPolicy: { Condition: 'any', Delay: 2_000_000_000, MaxAttempts: 0 },
      Placement: { Constraints: input.constraints },
      Networks: [{ Target: input.networkId }],
      ...(input.forceUpdate === undefined ? {} : { ForceUpdate: input.forceUpdate }),
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: {
      Ports: [
        {
          Protocol: 'tcp',
          TargetPort: container.daemon.port,
          PublishedPort: input.publishedPort,
          PublishMode: 'host',
        },
      ],
    },
  };
}
