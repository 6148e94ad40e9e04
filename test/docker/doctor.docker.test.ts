import { describe, expect, it } from 'vitest';
import { dockerModule } from '../../src/providers/docker/module.js';
import { dockerUnavailable, testDockerSocket } from '../support/docker.js';

describe.skipIf(dockerUnavailable())('fleetbot doctor on a running dockerd', () => {
  it('says which Engine answers and its API version', async () => {
    const result = await dockerModule.doctor![0]!.run({
      host: { kind: 'unix', socketPath: testDockerSocket },
      knownHostsFile: undefined,
      defaultImage: undefined,
      domain: undefined,
      acmeCa: undefined,
    });
    expect(result.ok).toBe(true);
    expect(result.detail).toMatch(/^Docker Engine \d+\.\d+\.\d+\S* \(API 1\.\d+\) at the Docker socket \//);
  });
});
