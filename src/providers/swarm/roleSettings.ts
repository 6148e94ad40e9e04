import { z } from 'zod';
import type { Role } from '../../core/fleet/roles.js';

/**
 * One Swarm placement constraint as `docker service create --constraint` takes it: a node attribute,
 * `==` or `!=`, and a value (`node.role==worker`, `node.labels.gpu==true`, `node.hostname!=db1`).
 */
const constraint = z
  .string()
  .regex(
    /^(node\.(id|hostname|role|platform\.os|platform\.arch)|node\.labels\.[A-Za-z0-9._-]+|engine\.labels\.[A-Za-z0-9._-]+)\s*(==|!=)\s*[A-Za-z0-9._-]+$/,
    'a Swarm constraint such as node.role==worker or node.labels.zone==b',
  );

/**
 * A role's `providers.swarm` section: where Swarm may place its agents. Image, user and limits come
 * from the role's `providers.docker` section, which both container providers read.
 */
export const swarmRoleSettings = z.object({ constraints: z.array(constraint).max(16).default([]) }).strict();

export const swarmSection = (role: Role): z.output<typeof swarmRoleSettings> =>
  swarmRoleSettings.optional().parse(role.providers.swarm) ?? { constraints: [] };
