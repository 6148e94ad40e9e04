import { z } from 'zod';
import { UserError } from '../../core/runtime/errors.js';
import type { Engine } from './engine.js';

/**
 * Each agent's network gets a /28 of fleetbot's own address range: Docker's default address pools
 * hold about 30 bridge networks, so a host would refuse its 31st agent. A /28 has room for the
 * agent's container and its gateway; a /16 range holds 4,096 agents.
 */
export const agentSubnetBits = 28;

const cidr = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

type Range = { start: number; end: number };

const toRange = (text: string): Range | undefined => {
  const m = cidr.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const address = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const start = address - (address % size);
  return { start, end: start + size - 1 };
};

const toText = (start: number, bits: number): string =>
  `${[24, 16, 8, 0].map((shift) => Math.floor(start / 2 ** shift) % 256).join('.')}/${bits}`;

/** Where agent networks come from unless FLEETBOT_DOCKER_SUBNETS says. */
export const defaultSubnetPool = '10.213.0.0/16';

/** FLEETBOT_DOCKER_SUBNETS: an IPv4 range of at least one agent network, in CIDR form. */
export const subnetPoolSchema = z
  .string()
  .trim()
  .refine((v) => {
    const m = cidr.exec(v);
    return m !== null && toRange(v) !== undefined && Number(m[5]) <= agentSubnetBits;
  }, `an IPv4 range such as 10.213.0.0/16, no smaller than /${agentSubnetBits}`);

const networkList = z.array(
  z.object({
    Name: z.string(),
    IPAM: z
      .object({
        Config: z
          .array(z.object({ Subnet: z.string().optional() }))
          .nullable()
          .optional(),
      })
      .optional(),
  }),
);

/**
 * Picks agent networks' subnets from `pool`: the first /28 that no network on the Engine uses and no
 * deploy still on its way was given. Another fleetbot racing for the same one makes the Engine refuse
 * the create ("overlaps"); the caller then asks again.
 */
export function subnetPicker(pool: string) {
  const range = toRange(pool);
  if (!range) throw new Error(`not an IPv4 range: ${pool}`);
  const planned = new Map<string, number>();
  const step = 2 ** (32 - agentSubnetBits);

  return {
    async pick(engine: Engine, agentName: string): Promise<string> {
      const networks = await engine.json('GET', '/networks', networkList, { what: 'listing networks' });
      const used: Range[] = networks.flatMap((n) =>
        (n.IPAM?.Config ?? []).flatMap((c) => {
          const r = c.Subnet === undefined ? undefined : toRange(c.Subnet);
          return r ? [r] : [];
        }),
      );
      for (const [name, start] of planned)
        if (name !== agentName) used.push({ start, end: start + step - 1 });
      for (let start = range.start; start + step - 1 <= range.end; start += step) {
        const end = start + step - 1;
        if (used.some((u) => u.start <= end && start <= u.end)) continue;
        planned.set(agentName, start);
        return toText(start, agentSubnetBits);
      }
      throw new UserError(
        `every /${agentSubnetBits} of ${pool} is in use on ${engine.where}; destroy agents you no longer need, or give FLEETBOT_DOCKER_SUBNETS a larger range`,
      );
    },
    /** The deploy's network exists (or never will): its subnet is now the Engine's to report. */
    settle(agentName: string): void {
      planned.delete(agentName);
    },
  };
}
export type SubnetPicker = ReturnType<typeof subnetPicker>;
