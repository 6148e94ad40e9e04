import type { Server } from './schemas.js';
import type { DnsRecord } from '../cloudflare/client.js';
import { agentLabels, managedLabels, ownsLabelled } from '../labels.js';

/** How every record comment fleetbot writes begins, with or without an instance id. */
export const commentPrefix = 'fleetbot agent ';

/**
 * What fleetbot writes on what it makes, and how it tells its own from anyone else's: another
 * fleetbot's (another instance id), a person's (no fleetbot label or comment), or one made before
 * instance ids existed (no id). Those last ones are this fleetbot's only where one of its agent
 * records names them; any other is left alone, since another fleetbot may have made it.
 */
export function ownership(instance: string) {
  return {
    /** Labels for every server and snapshot this fleetbot makes. */
    managed: managedLabels(instance),
    agentLabels: (agent: string, role: string) => agentLabels(instance, agent, role),
    comment: (agent: string): string => `${commentPrefix}${agent} (instance ${instance})`,

    /** Made by this fleetbot: its own id, or no id and named by one of its agent records. */
    ownsServer: (server: Pick<Server, 'labels'>, recorded: boolean): boolean =>
      ownsLabelled(server.labels, instance, recorded),

    /** A record this fleetbot wrote for `agent` (any of its agents when undefined), by its comment. */
    ownsRecord(record: Pick<DnsRecord, 'comment'>, recorded: boolean, agent?: string): boolean {
      const parsed = parseComment(record.comment);
      if (!parsed || (agent !== undefined && parsed.agent !== agent)) return false;
      return parsed.instance === undefined ? recorded : parsed.instance === instance;
    },
  };
}
export type Ownership = ReturnType<typeof ownership>;

/** `fleetbot agent alice (instance abc)` or, from before instance ids, `fleetbot agent alice`. */
function parseComment(comment: string | null | undefined): { agent: string; instance?: string } | undefined {
  const m = /^fleetbot agent ([a-z0-9-]+)(?: \(instance ([a-z0-9-]+)\))?$/.exec(comment ?? '');
  if (!m?.[1]) return undefined;
  return m[2] ? { agent: m[1], instance: m[2] } : { agent: m[1] };
}
