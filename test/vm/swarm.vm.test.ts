import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generateHostKey } from '../../src/providers/ssh/hostKey.js';
import { engineSpecCheck } from '../support/engineSpec.js';
import { ensureLabImage } from './labImage.js';
import { vmLabUnavailable } from './lab.js';
import { startSwarmLab, type SwarmLab } from './swarmLab.js';

// A Swarm of two real Debian 12 VMs (one manager, one worker), Debian's docker.io on each, reached
// only through fleetbot's Engine client over SSH with pinned host keys.

const unavailable = vmLabUnavailable();
const login = generateHostKey('fleetbot swarm lab login');
const spec = engineSpecCheck();
const nodes = z.array(
  z.object({ Description: z.object({ Hostname: z.string() }), Spec: z.object({ Role: z.string() }) }),
);

describe.skipIf(unavailable !== undefined)('the swarm provider on two VMs (VM lab)', () => {
  let swarm: SwarmLab;

  beforeAll(async () => {
    const image = await ensureLabImage();
    swarm = await startSwarmLab({
      image,
      loginPublicKey: login.publicKey,
      loginPrivateKey: login.privateKey,
      spec,
      log: (line) => console.log(`[swarm lab] ${line}`),
    });
  });
  afterAll(async () => {
    await swarm?.close();
  });

  it('is a swarm of a manager and a worker, reached over SSH', async () => {
    const listed = await swarm.manager.engine.json('GET', '/nodes', nodes, { what: 'listing nodes' });
    expect(listed.map((n) => [n.Description.Hostname, n.Spec.Role]).sort()).toEqual([
      ['swarm-1', 'manager'],
      ['swarm-2', 'worker'],
    ]);
    expect(spec.violations).toEqual([]);
  });
});
