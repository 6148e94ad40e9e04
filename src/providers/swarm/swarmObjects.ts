import { z } from 'zod';
import { isNotFound, type Engine } from '../docker/engine.js';

// The Swarm objects an agent is made of (service, secrets, configs, overlay network) and its tasks and
// nodes, as the manager's Engine API answers them: only the fields fleetbot reads, checked.

const labels = z
  .record(z.string(), z.string())
  .nullish()
  .transform((l) => l ?? {});

const portSchema = z.object({
  TargetPort: z.number().optional(),
  PublishedPort: z.number().optional(),
  PublishMode: z.string().optional(),
});

export const serviceSchema = z.object({
  ID: z.string(),
  CreatedAt: z.string(),
  Version: z.object({ Index: z.number() }),
  Spec: z.looseObject({
    Name: z.string(),
    Labels: labels,
    EndpointSpec: z
      .object({ Ports: z.array(portSchema).nullish() })
      .loose()
      .optional(),
    TaskTemplate: z.looseObject({ ForceUpdate: z.number().optional() }),
  }),
});
export type Service = z.output<typeof serviceSchema>;

export const taskSchema = z.object({
  ID: z.string(),
  NodeID: z.string().optional(),
  DesiredState: z.string(),
  Status: z.object({
    State: z.string(),
    Message: z.string().optional(),
    Err: z.string().optional(),
    /** When the task last changed state (RFC 3339, which sorts as text). */
    Timestamp: z.string().optional(),
    ContainerStatus: z.object({ ContainerID: z.string().optional() }).loose().optional(),
  }),
});
export type Task = z.output<typeof taskSchema>;

export const nodeSchema = z.object({
  ID: z.string(),
  Description: z.object({ Hostname: z.string() }).loose(),
  Spec: z.object({ Availability: z.string() }).loose(),
  Status: z.object({ State: z.string(), Addr: z.string().optional() }).loose(),
  ManagerStatus: z.object({ Addr: z.string().optional() }).loose().optional(),
});
export type SwarmNode = z.output<typeof nodeSchema>;

const namedSchema = z.object({
  ID: z.string(),
  CreatedAt: z.string().optional(),
  Spec: z.object({ Name: z.string(), Labels: labels }).loose(),
});
export type Named = z.output<typeof namedSchema>;

const networkSchema = z.object({
  Id: z.string(),
  Name: z.string(),
  Created: z.string().optional(),
  Labels: labels,
});
export type SwarmNetwork = z.output<typeof networkSchema>;

const created = z.object({ ID: z.string() });

/** A label filter as the Engine takes it: `key=value` (or just `key`) in a JSON `filters` query. */
const filters = (f: Record<string, string[]>): string => JSON.stringify(f);
const labelFilter = (l: Record<string, string>): string[] => Object.entries(l).map(([k, v]) => `${k}=${v}`);

/** The manager's calls for what fleetbot makes under Swarm. */
export function swarmObjects(engine: Engine) {
  const list = <S extends z.ZodType>(path: string, schema: S, what: string, f: Record<string, string[]>) =>
    engine.json('GET', path, z.array(schema), { what, query: { filters: filters(f) } });

  return {
    engine,

    services: (l: Record<string, string>) =>
      list('/services', serviceSchema, 'listing services', { label: labelFilter(l) }),
    allServices: () => engine.json('GET', '/services', z.array(serviceSchema), { what: 'listing services' }),
    async service(name: string): Promise<Service | undefined> {
      try {
        return await engine.json('GET', `/services/${encodeURIComponent(name)}`, serviceSchema, {
          what: `looking up service ${name}`,
        });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    createService: (spec: Record<string, unknown>, name: string) =>
      engine.json('POST', '/services/create', created, { what: `creating service ${name}`, body: spec }),
    updateService: (service: Service, spec: Record<string, unknown>) =>
      engine.send('POST', `/services/${service.ID}/update`, {
        what: `updating service ${service.Spec.Name}`,
        query: { version: service.Version.Index },
        body: spec,
      }),
    async removeService(name: string): Promise<void> {
      await engine
        .send('DELETE', `/services/${encodeURIComponent(name)}`, { what: `removing service ${name}` })
        .catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
    },
    /** Tasks of one service (by name), newest first as Swarm keeps them. */
    tasks: (service: string) =>
      list('/tasks', taskSchema, `listing the tasks of ${service}`, { service: [service] }),
    node: (id: string) =>
      engine.json('GET', `/nodes/${encodeURIComponent(id)}`, nodeSchema, { what: `looking up node ${id}` }),
    /** The Swarm node id of the Engine fleetbot talks to (the manager's own). */
    ownNodeId: async (): Promise<string> =>
      (
        await engine.json('GET', '/info', z.object({ Swarm: z.object({ NodeID: z.string() }).loose() }), {
          what: 'reading the swarm state',
        })
      ).Swarm.NodeID,

    secrets: (l: Record<string, string>) =>
      list('/secrets', namedSchema, 'listing secrets', { label: labelFilter(l) }),
    createSecret: (name: string, value: string, l: Record<string, string>) =>
      engine.json('POST', '/secrets/create', created, {
        // The value never reaches a message: only the name is said.
        what: `creating secret ${name}`,
        body: { Name: name, Labels: l, Data: Buffer.from(value, 'utf8').toString('base64') },
      }),
    removeSecret: (id: string, name: string) =>
      engine.send('DELETE', `/secrets/${id}`, { what: `removing secret ${name}` }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      }),

    configs: (l: Record<string, string>) =>
      list('/configs', namedSchema, 'listing configs', { label: labelFilter(l) }),
    createConfig: (name: string, data: Buffer, l: Record<string, string>) =>
      engine.json('POST', '/configs/create', created, {
        what: `creating config ${name}`,
        body: { Name: name, Labels: l, Data: data.toString('base64') },
      }),
    removeConfig: (id: string, name: string) =>
      engine.send('DELETE', `/configs/${id}`, { what: `removing config ${name}` }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      }),

    networks: (l: Record<string, string>) =>
      list('/networks', networkSchema, 'listing networks', { label: labelFilter(l), driver: ['overlay'] }),
    createNetwork: (name: string, l: Record<string, string>) =>
      engine.json('POST', '/networks/create', z.object({ Id: z.string() }), {
        what: `creating network ${name}`,
        body: { Name: name, Driver: 'overlay', CheckDuplicate: true, Labels: l },
      }),
    async networkExists(id: string): Promise<boolean> {
      try {
        await engine.send('GET', `/networks/${id}`, { what: `looking up network ${id}` });
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    },
    removeNetwork: (id: string, name: string) =>
      engine.send('DELETE', `/networks/${id}`, { what: `removing network ${name}` }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      }),
  };
}
export type SwarmObjects = ReturnType<typeof swarmObjects>;
