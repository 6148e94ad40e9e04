import type { Role } from '../../src/core/fleet/roles.js';
import { agentLayout, atPort, hasDaemon, type DaemonLayout } from '../../src/providers/machine/layout.js';

/** The layout of an agent of a role with a daemon (on `port`, when given), as tests of units and health use it. */
export function daemonLayout(name: string, role: Role, port?: number): DaemonLayout {
  const layout = atPort(agentLayout(name, role), port);
  if (!hasDaemon(layout)) throw new Error(`role ${role.name} has no daemon`);
  return layout;
}
