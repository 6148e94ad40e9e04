import type { Benchmark } from './row.js';
import { median } from './stats.js';
import { hetznerDeploys, latencies } from './support/hetznerDeploys.js';

/**
 * B2: a Hetzner deploy's wall time over the sum of the latencies it cannot avoid (boot, SSH gap,
 * health, TLS; DNS runs beside the boot). What is left over is fleetbot's own waiting and work.
 */
export const deployCriticalPath: Benchmark = async ({ quick }) => {
  const runs = await hetznerDeploys(quick ? 1 : 3);
  const criticalMs = latencies.bootMs + latencies.sshGapMs + latencies.healthMs + latencies.tlsMs;
  const deployMs = median(runs.map((r) => r.deployMs));
  return [
    {
      id: 'B2',
      what: `hetzner deploy wall time ÷ critical path (${criticalMs} ms injected)`,
      measured: deployMs / criticalMs,
      unit: '×',
      target: 1.05,
      detail: { latencies, deployMs: runs.map((r) => Math.round(r.deployMs)) },
    },
  ];
};
