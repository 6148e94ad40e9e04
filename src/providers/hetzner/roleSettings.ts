import { z } from 'zod';
import type { Role } from '../../core/fleet/roles.js';

/** A role's `providers.hetzner` section: where its servers go and what they boot from. */
export const hetznerRoleSettings = z
  .object({ serverType: z.string(), location: z.string(), snapshot: z.string().optional() })
  .strict();

/** The role's hetzner section, already checked when the role file was loaded. */
export const hetznerSection = (role: Role): z.output<typeof hetznerRoleSettings> | undefined =>
  hetznerRoleSettings.optional().parse(role.providers.hetzner);
