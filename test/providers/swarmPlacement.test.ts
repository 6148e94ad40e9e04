import { describe, expect, it } from 'vitest';
import { placementOf } from '../../src/providers/swarm/placement.js';
import type { SwarmObjects } from '../../src/providers/swarm/swarmObjects.js';
import { taskSchema } from '../../src/providers/swarm/swarmObjects.js';

// Why an agent's service is not running, in Swarm's own words, as /status and a failed deploy say it.
// Task records as the Engine lists them (GET /tasks), trimmed to what placement reads.

const task = (id: string, desired: string, state: string, at: string, more: Record<string, string> = {}) =>
  taskSchema.parse({
    ID: id,
    NodeID: 'n1',
    DesiredState: desired,
    Status: { Timestamp: at, State: state, Message: state, ...more },
  });

const swarmWith = (tasks: ReturnType<typeof task>[]) =>
  ({ tasks: () => Promise.resolve(tasks) }) as unknown as SwarmObjects;

const apparmor =
  'starting container failed: AppArmor enabled on system but the docker-default profile could not be loaded';

describe('why a swarm agent is not running', () => {
  it('names the failure of the attempt before when the newest task has nothing to say yet', async () => {
    const found = await placementOf(
      swarmWith([
        task('t1', 'shutdown', 'failed', '2026-12-07T21:40:01.5Z', { Err: 'older failure' }),
        task('t3', 'running', 'starting', '2026-12-07T21:40:12Z'),
        task('t2', 'shutdown', 'failed', '2026-12-07T21:40:09Z', { Err: apparmor }),
      ]),
      'fleetbot-alice',
    );
    expect(found).toEqual({ why: `its task is starting; the attempt before failed: ${apparmor}` });
  });

  it("says the newest task's own error, and only it, when it has one", async () => {
    const found = await placementOf(
      swarmWith([
        task('t1', 'shutdown', 'failed', '2026-12-07T21:40:01Z', { Err: 'older failure' }),
        task('t2', 'running', 'pending', '2026-12-07T21:40:09Z', {
          Err: 'no suitable node (scheduling constraints not satisfied on 2 nodes)',
        }),
      ]),
      'fleetbot-alice',
    );
    expect(found).toEqual({
      why: 'its task is pending: no suitable node (scheduling constraints not satisfied on 2 nodes)',
    });
  });

  it('strips what an agent could put in the error before it reaches a card', async () => {
    const found = await placementOf(
      swarmWith([
        task('t1', 'shutdown', 'failed', '2026-12-07T21:40:01Z', {
          Err: `exit 1\u001b[31m ${'x'.repeat(900)}`,
        }),
        task('t2', 'running', 'preparing', '2026-12-07T21:40:09Z'),
      ]),
      'fleetbot-alice',
    );
    const why = 'why' in found ? found.why : '';
    expect(why).toMatch(/^its task is preparing; the attempt before failed: exit 1 ?\[31m x+…?$/);
    expect(why).not.toContain('\u001b');
    expect(why.length).toBeLessThan(400);
  });
});
