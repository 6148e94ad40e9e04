import { z } from 'zod';
import { UserError } from '../../core/runtime/errors.js';
import type { Role } from '../../core/fleet/roles.js';

/**
 * A role's `providers.hetzner` section: where its servers go and what they boot from, and the quota
 * an admin sets in the role file: which server types and locations a /deploy may ask for (any, when a
 * list is absent). The role's own serverType and location must be on its lists.
 */
export const hetznerRoleSettings = z
  .object({
    serverType: z.string(),
    location: z.string(),
    snapshot: z.string().optional(),
    allowedTypes: z.array(z.string()).min(1).optional(),
    allowedLocations: z.array(z.string()).min(1).optional(),
  })
  .strict()
  .refine((h) => !h.allowedTypes || h.allowedTypes.includes(h.serverType), {
    message: 'serverType must be one of allowedTypes',
    path: ['serverType'],
  })
  .refine((h) => !h.allowedLocations || h.allowedLocations.includes(h.location), {
    message: 'location must be one of allowedLocations',
    path: ['location'],
  });
export type HetznerRoleSettings = z.output<typeof hetznerRoleSettings>;

/** The role's hetzner section, already checked when the role file was loaded. */
export const hetznerSection = (role: Role): HetznerRoleSettings | undefined =>
  hetznerRoleSettings.optional().parse(role.providers.hetzner);

/** Refuses a server type or location the role's lists leave out, saying what is allowed and who can change it. */
export function assertAllowed(role: Role, h: HetznerRoleSettings, type: string, location: string): void {
  const refuse = (what: string, flag: string, asked: string, allowed: string[], key: string): never => {
    throw new UserError(
      `Role ${role.name} does not allow ${what} ${asked}; it allows ${allowed.join(', ')} (${flag}). An admin can change providers.hetzner.${key} in ${role.file}.`,
    );
  };
  if (h.allowedTypes && !h.allowedTypes.includes(type))
    refuse('server type', '--type', type, h.allowedTypes, 'allowedTypes');
  if (h.allowedLocations && !h.allowedLocations.includes(location))
    refuse('location', '--location', location, h.allowedLocations, 'allowedLocations');
}
