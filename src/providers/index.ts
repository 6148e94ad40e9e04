import type { z } from 'zod';
import { dockerModule } from './docker/module.js';
import { hetznerModule } from './hetzner/module.js';
import { localModule } from './local/module.js';
import type { ProviderModule } from './module.js';
import { sshHostsModule } from './sshHosts/module.js';
import { swarmModule } from './swarm/module.js';

/**
 * Every provider fleetbot knows, in the order config, `.env.example`, /deploy's flags and doctor
 * list them. A new provider is a folder under src/providers with a module.ts, and one row here.
 */
export const providerModules = [
  localModule,
  hetznerModule,
  sshHostsModule,
  dockerModule,
  swarmModule,
] as const;

/** Where agents run when neither the config nor /deploy says: the provider that needs no account. */
export const defaultProviderName: string = localModule.name;

/** The same list, for code that treats every provider alike. */
export const allProviders: readonly ProviderModule[] = providerModules;

/** Each provider's section of a role file (`providers.<name>`), for the providers that have one. */
export const roleSections: Record<string, z.ZodType> = Object.fromEntries(
  allProviders.flatMap((m) => (m.roleSettings ? [[m.name, m.roleSettings]] : [])),
);
