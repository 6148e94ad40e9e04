import type { Benchmark } from './row.js';
import { median } from './stats.js';
import { hetznerDeploys } from './support/hetznerDeploys.js';

/** B3: Hetzner API requests one deploy and one destroy make, counted by the fake. */
export const hetznerRequests: Benchmark = async ({ quick }) => {
  const runs = await hetznerDeploys(quick ? 1 : 3);
  return [
    {
      id: 'B3',
      what: 'Hetzner API requests per deploy',
      measured: median(runs.map((r) => r.deployRequests)),
      unit: '',
      target: 20,
      detail: { runs },
    },
    {
      id: 'B3',
      what: 'Hetzner API requests per destroy',
      measured: median(runs.map((r) => r.destroyRequests)),
      unit: '',
      target: 6,
      detail: { runs },
    },
  ];
};
