import { z } from 'zod';
import type { Role } from '../../core/fleet/roles.js';
import { hostName } from './hosts.js';

/** A role's `providers.ssh` section: the host its agents go to when /deploy names none. */
export const sshRoleSettings = z
  .object({ host: z.string().regex(hostName, 'a name from FLEETBOT_SSH_HOSTS') })
  .strict();

/** The role's ssh section, already checked when the role file was loaded. */
export const sshSection = (role: Role): z.output<typeof sshRoleSettings> | undefined =>
  sshRoleSettings.optional().parse(role.providers.ssh);
