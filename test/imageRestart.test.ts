import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Provider } from '../src/core/fleet/provider.js';
import type { Step } from '../src/core/jobs/plan.js';
import { useCleanups } from './support/cleanups.js';
import { startConsoleBot } from './support/consoleSession.js';
import { tempDir } from './support/env.js';
import { startHetznerCloud, type HetznerCloud } from './support/hetznerCloud.js';

const defer = useCleanups();
const origin = { requester: 'console:local', chat: { platform: 'console' as const, chatId: 'local' } };

/** The cloud's provider, except that the image build's step `key` waits for `before` first. */
function delayingStep(cloud: HetznerCloud, key: string, before: () => Promise<void>): Provider {
  const images = cloud.provider.images!;
  const delayed = (step: Step): Step => ({ ...step, run: async (ctx) => (await before(), step.run(ctx)) });
  return {
    ...cloud.provider,
    images: {
      ...images,
      buildPlan: (role) => images.buildPlan(role).map((s) => (s.key === key ? delayed(s) : s)),
    },
  };
}

/** Fake clouds and a data folder that outlive one bot, and a way to start bots on them. */
async function setup() {
  const tmp = tempDir();
  defer(tmp.cleanup);
  const cloud = await startHetznerCloud();
  defer(() => cloud.close());
  const jobStatus = (): string => {
    const db = new Database(path.join(tmp.dir, 'fleetbot.db'), { readonly: true });
    try {
      return db.prepare<[], { status: string }>('SELECT status FROM jobs WHERE id = 1').get()!.status;
    } finally {
      db.close();
    }
  };
  const start = async (provider: Provider = cloud.provider) =>
    startConsoleBot(tmp.dir, {}, { providers: [provider] });
  return { cloud, start, jobStatus };
}

/** Starts `/image build swe` on a bot whose build waits in step `key` until `until`; resolves once it waits. */
/** Starts fleetbot again, lets it take the build up, and returns the build card as it ends. */
async function resumedCard(t: Awaited<ReturnType<typeof setup>>): Promise<string> {
  const second = await t.start();
  defer(() => second.stop());
  await second.bot.idle();
  return second.find(/Build image for swe/)!.versions.at(-1)!;
}

async function buildStoppingIn(t: Awaited<ReturnType<typeof setup>>, key: string, until: Promise<void>) {
  let reached: () => void = () => undefined;
  const waiting = new Promise<void>((r) => (reached = r));
  const bot = await t.start(delayingStep(t.cloud, key, async () => (reached(), until)));
  bot.bot.fleet.buildImage({ ...origin, role: 'swe' });
  await waiting;
  return bot;
}

const never = new Promise<void>(() => undefined);

describe('an image build cut short by a restart of fleetbot', () => {
  it('killed while the build script runs (not safe to repeat): rolled back, the build server deleted, and the card says so', async () => {
    const t = await setup();
    const first = await buildStoppingIn(t, 'build', never);
    // As a kill leaves it: the job is not drained and its step never ends.
    await first.bot.stop();
    expect(t.cloud.hetzner.servers()).toHaveLength(1);

    const second = await t.start();
    defer(() => second.stop());
    await second.bot.idle();
    const card = second.find(/Build image for swe/)!.versions.at(-1)!;
    expect(card).toMatch(
      /^❌ Failed, rolled back: Build image for swe \(hetzner\) · job #1 · .*\n↩ Rolled back after a restart of fleetbot\n↩️ Create build server: cleaned up\n/,
    );
    expect(card).toContain('◻️ Run the build script: skipped');
    expect(card).toMatch(
      /Everything this job created was removed\. Fix the cause and run \/image build swe again\.$/,
    );
    expect(t.cloud.hetzner.servers()).toEqual([]);
    expect(t.cloud.hetzner.images().filter((i) => i.type === 'snapshot')).toEqual([]);
    await second.type('/jobs');
    expect(second.lastText()).toMatch(/^Recent jobs\n#1 image image swe · rolled_back/);
  });

  it('killed while powering off (safe to repeat): carries on to a snapshot, and the card says it resumed', async () => {
    const t = await setup();
    const first = await buildStoppingIn(t, 'poweroff', never);
    await first.bot.stop();

    const card = await resumedCard(t);
    expect(card).toMatch(
      /^✅ Done: Build image for swe \(hetzner\) · job #1 · .*\n↻ Resumed after a restart of fleetbot\n/,
    );
    for (const step of [
      'Create build server',
      'Run the build script',
      'Power off',
      'Create snapshot',
      'Delete build server',
    ])
      expect(card).toMatch(new RegExp(`\\n✅ ${step} · `));
    expect(t.cloud.hetzner.servers()).toEqual([]);
    expect(t.cloud.hetzner.images().filter((i) => i.type === 'snapshot')).toEqual([
      expect.objectContaining({
        description: 'fleetbot-swe v1 (ubuntu-24.04, cx23)',
        labels: {
          'managed-by': 'fleetbot',
          'fleetbot-instance': 'test-fleetbot',
          'fleetbot-image': 'fleetbot-swe',
          role: 'swe',
          version: '1',
        },
      }),
    ]);
  });

  it('stopped gracefully while waiting for SSH: paused at the next step, then carries on, though the build script is still ahead', async () => {
    const t = await setup();
    let release: () => void = () => undefined;
    const first = await buildStoppingIn(t, 'ssh', new Promise<void>((r) => (release = r)));
    const stopping = first.bot.shutdown(10_000);
    release();
    await stopping;
    expect(t.jobStatus()).toBe('paused');
    const paused = first.find(/Build image for swe/)!.versions.at(-1)!;
    expect(paused).toMatch(
      /^⏸ Paused: Build image for swe \(hetzner\) · job #1 · .*\n(✅ .*\n){3}◻️ Verify SSH host key\n/,
    );
    expect(paused).toMatch(/\nPaused while fleetbot restarts; it carries on when fleetbot is back\.$/);

    const card = await resumedCard(t);
    expect(card).toMatch(
      /^✅ Done: Build image for swe \(hetzner\) · job #1 · .*\n↻ Resumed after a restart of fleetbot\n/,
    );
    expect(t.cloud.hetzner.servers()).toEqual([]);
    expect(t.cloud.hetzner.images().filter((i) => i.type === 'snapshot')).toHaveLength(1);
  });
});
