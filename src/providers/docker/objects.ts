import { z } from 'zod';
import { EngineError, isNotFound, type Engine } from './engine.js';

// The Engine's answers fleetbot reads (only the fields it uses), and the lookups and removals of
// what it made, by name and by label.

const labels = z
  .record(z.string(), z.string())
  .nullish()
  .transform((l) => l ?? {});

export const containerInspect = z.object({
  Id: z.string(),
  Name: z.string(),
  Created: z.string(),
  State: z.object({
    Status: z.string(),
    Running: z.boolean(),
    ExitCode: z.number().int(),
    StartedAt: z.string(),
  }),
  Config: z.object({ Labels: labels, User: z.string(), Image: z.string() }),
  NetworkSettings: z.object({
    Ports: z
      .record(z.string(), z.array(z.object({ HostIp: z.string(), HostPort: z.string() })).nullable())
      .nullish(),
  }),
});
export type ContainerInspect = z.output<typeof containerInspect>;

const containerSummary = z.object({
  Id: z.string(),
  Names: z.array(z.string()),
  Labels: labels,
  Created: z.number(),
  State: z.string(),
  Ports: z.array(z.object({ PublicPort: z.number().int().optional() })).default([]),
});
export type ContainerSummary = z.output<typeof containerSummary>;

const volumeSummary = z.object({ Name: z.string(), Labels: labels, CreatedAt: z.string().optional() });
const networkSummary = z.object({ Id: z.string(), Name: z.string(), Labels: labels, Created: z.string() });
export const created = z.object({ Id: z.string() });

/** Everything that carries these labels (`key=value`), of each kind fleetbot makes. */
export async function labelled(engine: Engine, match: Record<string, string>) {
  const filters = JSON.stringify({ label: Object.entries(match).map(([k, v]) => `${k}=${v}`) });
  const [containers, volumes, networks] = await Promise.all([
    engine.json('GET', '/containers/json', z.array(containerSummary), {
      what: 'listing fleetbot’s containers',
      query: { all: true, filters },
    }),
    engine.json('GET', '/volumes', z.object({ Volumes: z.array(volumeSummary).nullable() }), {
      what: 'listing fleetbot’s volumes',
      query: { filters },
    }),
    engine.json('GET', '/networks', z.array(networkSummary), {
      what: 'listing fleetbot’s networks',
      query: { filters },
    }),
  ]);
  return { containers, volumes: volumes.Volumes ?? [], networks };
}
export type Labelled = Awaited<ReturnType<typeof labelled>>;

/** A container by name or id, or undefined when there is none. */
export async function inspectContainer(engine: Engine, name: string): Promise<ContainerInspect | undefined> {
  try {
    return await engine.json('GET', `/containers/${encodeURIComponent(name)}/json`, containerInspect, {
      what: `looking up container ${name}`,
    });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Ignores "no such …": removing what is already gone is done. */
const gone = (err: unknown): void => {
  if (!isNotFound(err)) throw err;
};

/**
 * Removes a container, or waits for the removal the Engine is already doing: an earlier call that
 * gave up on a slow Engine (an undo after a timed-out step) may have started it.
 */
export async function removeContainer(engine: Engine, name: string): Promise<void> {
  const path = `/containers/${encodeURIComponent(name)}`;
  try {
    await engine.send('DELETE', path, { what: `removing container ${name}`, query: { force: true } });
  } catch (err) {
    if (!(err instanceof EngineError && err.status === 409 && /already in progress/i.test(err.message)))
      return gone(err);
    await engine
      .send('POST', `${path}/wait`, {
        what: `waiting for the Engine to finish removing container ${name}`,
        query: { condition: 'removed' },
        timeoutMs: 60_000,
      })
      .catch(gone);
  }
}

export const removeVolume = (engine: Engine, name: string): Promise<void> =>
  engine
    .send('DELETE', `/volumes/${encodeURIComponent(name)}`, {
      what: `removing volume ${name}`,
      query: { force: true },
    })
    .catch(gone);

export const removeNetwork = (engine: Engine, name: string): Promise<void> =>
  engine
    .send('DELETE', `/networks/${encodeURIComponent(name)}`, { what: `removing network ${name}` })
    .catch(gone);

/** Removes everything in `found`: containers first, as they hold the volumes and the network. */
export async function removeAll(engine: Engine, found: Labelled): Promise<void> {
  for (const c of found.containers) await removeContainer(engine, c.Id);
  for (const v of found.volumes) await removeVolume(engine, v.Name);
  for (const n of found.networks) await removeNetwork(engine, n.Id);
}

/** The host port a container publishes its `port` on, from its inspect. */
export const publishedPort = (c: ContainerInspect, port: number): number | undefined => {
  const binding = c.NetworkSettings.Ports?.[`${port}/tcp`]?.[0];
  return binding ? Number(binding.HostPort) : undefined;
};
