import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/runtime/clock.js';
import type { StepContext, StepOutput } from '../../src/core/jobs/plan.js';
import { loadRoles } from '../../src/core/fleet/roles.js';
import { roleSections } from '../../src/providers/index.js';
import { chatSections } from '../../src/protocols/index.js';
import { useCleanups } from '../support/cleanups.js';
import { silentLog } from '../support/env.js';
import { startHetznerCloud } from '../support/hetznerCloud.js';

/** The Create server step (of an image build: it boots the stock image) against the fake Hetzner. */
async function createStep(defer: (fn: () => Promise<void>) => void) {
  const cloud = await startHetznerCloud();
  defer(() => cloud.close());
  const [step] = cloud.provider.images!.buildPlan(
    loadRoles('templates/roles', roleSections, chatSections).get('swe')!,
  );
  const recorded: StepOutput[] = [];
  const ctx = (earlier: StepOutput): StepContext => ({
    jobId: 1,
    signal: new AbortController().signal,
    clock: systemClock,
    log: silentLog,
    outputs: {},
    earlier,
    record: (partial) => void recorded.push(partial),
  });
  const posts = () => cloud.hetzner.requests.filter((r) => r.method === 'POST' && r.path === '/servers');
  return { cloud, step: step!, ctx, recorded, posts };
}

describe('Create server after a restart', () => {
  const defer = useCleanups();

  it('records the name and host key before the create, so a rerun adopts the server instead of making another', async () => {
    const { cloud, step, ctx, recorded, posts } = await createStep(defer);
    expect(step.rerunnable).toBe(true);
    const first = await step.run(ctx({}));
    // What a kill right after Hetzner accepted the create would have left on record.
    const beforeCreate = recorded[0]!;
    expect(beforeCreate).toEqual({ serverName: 'fleetbot-build-swe', hostKey: first!.hostKey });

    const rerun = await step.run(ctx(beforeCreate));
    expect(rerun).toEqual(first);
    expect(cloud.hetzner.servers()).toHaveLength(1);
    expect(posts()).toHaveLength(1);
  });

  it('creates afresh with a new host key when the earlier create never landed', async () => {
    const { cloud, step, ctx, posts } = await createStep(defer);
    const out = await step.run(ctx({ serverName: 'fleetbot-build-swe', hostKey: 'ssh-ed25519 AAAAold' }));
    expect(out!.hostKey).not.toBe('ssh-ed25519 AAAAold');
    expect(cloud.hetzner.servers().map((s) => s.id)).toEqual([out!.serverId]);
    expect(posts()).toHaveLength(1);
  });

  it('an undo with no server id on record finds the server by name and labels and deletes it', async () => {
    const { cloud, step, ctx, recorded } = await createStep(defer);
    await step.run(ctx({}));
    await step.undo!(ctx({}), recorded[0]!);
    expect(cloud.hetzner.servers()).toEqual([]);
  });
});
