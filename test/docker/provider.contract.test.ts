import { afterAll } from 'vitest';
import { expect } from 'vitest';
import { dockerModule } from '../../src/providers/docker/module.js';
import { localReach } from '../../src/providers/docker/reach.js';
import { providerContract } from '../contracts/provider.case.js';
import { dockerUnavailable, testDockerProvider, testEngine, testNodeImage } from '../support/docker.js';
import { labelledLeftovers } from './leftovers.js';

// The docker provider keeps the contract every provider keeps, against the real dockerd, every
// request checked against the Engine API document.

const instance = 'dk-contract';

if (!dockerUnavailable()) {
  const t = testEngine();
  const reach = localReach();
  afterAll(async () => {
    expect(t.spec.violations).toEqual([]);
    await reach.close();
    await t.engine.close();
  });
  providerContract({
    module: dockerModule,
    start: async () => {
      const image = await testNodeImage(t.engine);
      const build = () => testDockerProvider({ engine: t.engine, image, instance, reach });
      return {
        provider: build(),
        rebuilt: build,
        url: /^http:\/\/127\.0\.0\.1:\d+$/,
        options: {},
        agentName: 'dkalice',
        leftovers: () => labelledLeftovers(`fleetbot-instance=${instance}`),
        close: async () => undefined,
      };
    },
  });
}
