import { afterAll, beforeAll, describe, expect } from 'vitest';
import { swarmModule } from '../../src/providers/swarm/module.js';
import { providerContract } from '../contracts/provider.case.js';
import { dockerUnavailable } from '../support/docker.js';
import { startSwarmLab, type SwarmLab } from '../support/swarmLab.js';
import { labSwarmProvider, swarmLeftovers } from '../support/swarmProvider.js';

// The provider contract, for swarm on a real two-node Swarm (the host's dockerd as manager, a second
// dockerd in a network namespace as worker), every Engine request checked against the API document.

const skip = dockerUnavailable();
const instance = 'swarm-contract';

describe.skipIf(skip)('swarm on a two-node swarm', () => {
  let lab: SwarmLab;
  beforeAll(async () => {
    lab = await startSwarmLab();
  });
  afterAll(async () => {
    const violations = lab ? [...lab.spec.violations] : [];
    await lab?.close();
    expect(violations).toEqual([]);
  });

  providerContract({
    module: swarmModule,
    start: async () => ({
      provider: labSwarmProvider(lab, { instance }),
      rebuilt: () => labSwarmProvider(lab, { instance }),
      url: undefined,
      options: {},
      leftovers: () => swarmLeftovers({ 'fleetbot-instance': instance }),
      close: async () => undefined,
    }),
  });
});
