import { startConsoleBot } from '../../test/support/consoleSession.js';
import { tempDir } from '../../test/support/env.js';
import { startHetznerCloud, type HetznerCloudOptions } from '../../test/support/hetznerCloud.js';

/** Injected latencies, about 1/17 of a real Hetzner deploy's (30 s boot, 15 s SSH gap, 5 s health, 20 s TLS). */
export const latencies = { bootMs: 1_500, sshGapMs: 1_000, healthMs: 500, tlsMs: 1_000 };
/** Polling scaled by the same factor from production's 1 s. */
const pollMs = 50;

/** The fake Hetzner, Cloudflare and machines with the latencies above. */
export const latentCloud = (extra: HetznerCloudOptions = {}) =>
  startHetznerCloud({
    bootDelayMs: latencies.bootMs,
    sshDelayMs: latencies.bootMs + latencies.sshGapMs,
    healthDelayMs: latencies.healthMs,
    tlsDelayMs: latencies.tlsMs,
    pollMs,
    ...extra,
  });

export type DeployRun = { deployMs: number; deployRequests: number; destroyRequests: number };

/**
 * `/deploy swe <name> --provider hetzner` then `/destroy` on the console bot against the fake Hetzner,
 * Cloudflare and machines, `runs` times after one golden-image build. Timing is from typing the command
 * to its job finishing; requests are those the fake Hetzner logged meanwhile.
 */
export async function hetznerDeploys(runs: number): Promise<DeployRun[]> {
  const tmp = tempDir('fleetbot-bench-');
  const cloud = await latentCloud();
  const s = await startConsoleBot(
    tmp.dir,
    { ANTHROPIC_API_KEY: 'sk-ant-bench' },
    { providers: [cloud.provider] },
  );
  try {
    await s.type('/image build swe');
    const results: DeployRun[] = [];
    for (let run = 0; run < runs; run++) {
      const name = `agent${run}`;
      const before = cloud.hetzner.requests.length;
      const started = performance.now();
      await s.type(`/deploy swe ${name} --provider hetzner`);
      const deployMs = performance.now() - started;
      if (!/✅ Done: Deploy/.test(s.find(new RegExp(`Deploy ${name}`))?.versions.at(-1) ?? ''))
        throw new Error(`deploy ${name} did not finish: ${s.lastText()}`);
      const afterDeploy = cloud.hetzner.requests.length;
      await s.type(`/destroy ${name}`);
      await s.type(/\[(\d+)\] Approve destroy/.exec(s.lastText())![1]!);
      results.push({
        deployMs,
        deployRequests: afterDeploy - before,
        destroyRequests: cloud.hetzner.requests.length - afterDeploy,
      });
    }
    return results;
  } finally {
    await s.stop();
    await cloud.close();
    tmp.cleanup();
  }
}
