import { z } from 'zod';
import type { Provider } from '../../src/core/fleet/provider.js';
import type { StepContext } from '../../src/core/jobs/plan.js';

/** Where the deploy's placing step published the agent's health answer. */
const placed = z.object({ hostPort: z.number().int(), healthPath: z.string() });

/** How often the watch asks; the start→healthy figures are this fine. */
const pollMs = 10;
const giveUpMs = 60_000;

async function firstHealthy(url: string): Promise<number> {
  for (const end = performance.now() + giveUpMs; performance.now() < end;) {
    // Docker's proxy takes connections on a published port before the agent listens and drops them.
    const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return performance.now();
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`${url} never answered within ${giveUpMs / 1000} s`);
}

/**
 * The docker provider with a watch on its start step for the first `deploys` deploys: from the
 * moment the step asks the Engine to start the container, its own health answer is polled every
 * 10 ms beside the provider's (which still waits at its own pace), so the time to the first healthy
 * answer is the container's own start→healthy, Docker's start and the agent's boot, with none of
 * fleetbot's waiting in it.
 */
export function watchStartToHealthy(provider: Provider, deploys: number) {
  const watches: Promise<number>[] = [];
  let plans = 0;
  const watched: Provider = {
    ...provider,
    deployPlan: (request) => {
      const watching = plans++ < deploys;
      return provider.deployPlan(request).map((step) =>
        step.key !== 'start' || !watching
          ? step
          : {
              ...step,
              run: async (ctx: StepContext) => {
                const p = placed.parse(Object.assign({}, ...Object.values(ctx.outputs)));
                const asked = performance.now();
                const output = await step.run(ctx);
                const healthy = firstHealthy(`http://127.0.0.1:${p.hostPort}${p.healthPath}`);
                watches.push(healthy.then((at) => at - asked));
                // Nobody awaits it before `times`; its failure is reported there.
                healthy.catch(() => undefined);
                return output;
              },
            },
      );
    },
  };
  return { provider: watched, times: (): Promise<number[]> => Promise.all(watches) };
}
