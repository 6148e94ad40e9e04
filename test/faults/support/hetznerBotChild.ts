/**
 * fleetbot as `fleetbot start` runs it (config from the environment, Telegram bridge, store, resume
 * after a restart), with the hetzner provider pointed at the fakes of the test process that spawned
 * it. KILLS_SETUP (JSON) says where they answer; with `pauseAt` ("run <step>" or "undo <step>") the
 * bot stops just before that step or its undo begins, tells the parent over IPC and waits there to be
 * killed.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { start } from '../../../src/cli/start.js';
import { loadConfig } from '../../../src/config/index.js';
import type { Step } from '../../../src/core/jobs/plan.js';
import type { Provider } from '../../../src/core/fleet/provider.js';
import { systemClock } from '../../../src/core/runtime/clock.js';
import { createSshPool } from '../../../src/providers/ssh/pool.js';
import { fakeCloudProvider } from '../../support/hetznerCloud.js';
import { machineAccess } from '../../support/machineDirectory.js';

const keys = z.object({ privateKey: z.string(), publicKey: z.string() });
export const childSetup = z.object({
  endpoints: z.object({
    hetzner: z.object({ endpoint: z.string(), token: z.string() }),
    cloudflare: z.object({ apiBase: z.string(), token: z.string(), zoneId: z.string() }),
    login: keys,
  }),
  /** The file the parent keeps the fake machines' directory in. */
  directory: z.string(),
  pauseAt: z.string().optional(),
});
export type ChildSetup = z.infer<typeof childSetup>;

const directory = z.object({
  ssh: z.record(z.string(), z.number()),
  https: z.record(z.string(), z.object({ port: z.number(), from: z.number() })),
});

const halt = (where: string): Promise<never> => {
  process.send?.({ pausedAt: where });
  return new Promise<never>(() => undefined);
};

/** The provider with every deploy step (and undo) able to stop at `at`. */
const pausing = (provider: Provider, at: string | undefined): Provider => {
  if (at === undefined) return provider;
  const wrap = (step: Step): Step => ({
    ...step,
    run: async (ctx) => {
      if (at === `run ${step.key}`) await halt(at);
      return step.run(ctx);
    },
    ...(step.undo
      ? {
          undo: async (ctx, output) => {
            if (at === `undo ${step.key}`) await halt(at);
            return step.undo!(ctx, output);
          },
        }
      : {}),
  });
  return { ...provider, deployPlan: (request) => provider.deployPlan(request).map(wrap) };
};

const setup = childSetup.parse(JSON.parse(process.env.KILLS_SETUP ?? '{}'));
const access = machineAccess(() => directory.parse(JSON.parse(readFileSync(setup.directory, 'utf8'))));
const pool = createSshPool({ clock: systemClock, idleMs: 60_000 });
await start(loadConfig(), {
  providers: [pausing(fakeCloudProvider(setup.endpoints, access, pool), setup.pauseAt)],
});
pool.close();
