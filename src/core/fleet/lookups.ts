import { UserError } from '../runtime/errors.js';
import type { ImageBuilder, Provider } from './provider.js';
import type { Role } from './roles.js';

/** What fleet operations look up by name (providers, roles, a role's secrets), refusing in words a person can act on. */
export function createLookups(deps: {
  providers: Map<string, Provider>;
  roles: Map<string, Role>;
  defaultProvider: string;
  agentEnv: (name: string) => string | undefined;
}) {
  const { providers, roles } = deps;

  const providerOf = (name: string): Provider => {
    const provider = providers.get(name);
    if (!provider) {
      throw new UserError(
        `Provider "${name}" is not configured here. Available: ${[...providers.keys()].join(', ')}.`,
      );
    }
    return provider;
  };

  const roleOf = (name: string): Role => {
    const role = roles.get(name);
    if (!role) {
      throw new UserError(
        `There is no role "${name.slice(0, 40)}". Roles: ${[...roles.keys()].join(', ')} (see /roles).`,
      );
    }
    return role;
  };

  const imageProviders = (): string[] => [...providers.values()].filter((p) => p.images).map((p) => p.name);

  /** The named provider's images, or those of the first provider that boots from images. */
  const imageProvider = (name?: string): { provider: Provider; images: ImageBuilder } => {
    const provider = name
      ? providerOf(name)
      : ([...providers.values()].find((p) => p.images) ?? providerOf(deps.defaultProvider));
    if (!provider.images)
      throw new UserError(
        `Provider ${provider.name} does not use images; golden images are for ${imageProviders().join(', ') || 'providers that boot machines from them'}.`,
      );
    return { provider, images: provider.images };
  };

  /** The secrets a role's agents get, read from fleetbot's environment; a missing required one is refused. */
  const secretsFor = (role: Role): Record<string, string> => {
    const secrets: Record<string, string> = {};
    for (const secret of role.agent.secrets) {
      const value = deps.agentEnv(secret.name);
      if (value) secrets[secret.name] = value;
      else if (secret.required) {
        throw new UserError(
          `Role ${role.name} needs ${secret.name}, which is not set. Add it to fleetbot's environment (.env) and restart fleetbot.`,
        );
      }
    }
    return secrets;
  };

  return {
    providerOf,
    roleOf,
    /** A role by name where a job can do without it (restarting an agent whose role file was removed). */
    findRole: (name: string): Role | undefined => roles.get(name),
    imageProvider,
    secretsFor,
  };
}
export type Lookups = ReturnType<typeof createLookups>;
