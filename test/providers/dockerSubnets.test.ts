import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/providers/docker/engine.js';
import { subnetPicker, subnetPoolSchema } from '../../src/providers/docker/subnets.js';

/** An Engine that lists the given networks' subnets and nothing else. */
const engineWith = (subnets: (string | undefined)[]): Engine =>
  ({
    where: 'the Docker socket /test.sock',
    json: async () =>
      subnets.map((Subnet, i) => ({ Name: `n${i}`, IPAM: { Config: Subnet ? [{ Subnet }] : [] } })),
  }) as unknown as Engine;

describe('agent network subnets', () => {
  it('gives each agent the first /28 of the range that no network uses and no other deploy was given', async () => {
    const picker = subnetPicker('10.213.0.0/26');
    const engine = engineWith(['172.17.0.0/16', '10.213.0.0/28', undefined, '10.212.0.0/15']);
    // 10.212.0.0/15 covers 10.212-10.213: a larger network overlapping the range leaves nothing.
    await expect(picker.pick(engine, 'alice')).rejects.toThrow(
      'every /28 of 10.213.0.0/26 is in use on the Docker socket /test.sock; destroy agents you no longer need, or give FLEETBOT_DOCKER_SUBNETS a larger range',
    );
    const plain = engineWith(['172.17.0.0/16', '10.213.0.0/28', '10.213.0.32/28']);
    expect(await picker.pick(plain, 'alice')).toBe('10.213.0.16/28');
    expect(await picker.pick(plain, 'bob')).toBe('10.213.0.48/28');
    // A deploy asking again (resumed) keeps its own; one that settled frees it for the Engine to report.
    expect(await picker.pick(plain, 'alice')).toBe('10.213.0.16/28');
    picker.settle('alice');
    expect(await picker.pick(plain, 'carol')).toBe('10.213.0.16/28');
  });

  it('takes a range in CIDR form no smaller than one agent network', () => {
    expect(subnetPoolSchema.safeParse('10.213.0.0/16').success).toBe(true);
    for (const bad of ['10.213.0.0/29', '10.213.0.0', '300.1.1.1/16', 'fd00::/64'])
      expect(subnetPoolSchema.safeParse(bad).success, bad).toBe(false);
  });
});
