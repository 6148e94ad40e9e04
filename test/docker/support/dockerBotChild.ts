/**
 * fleetbot as `fleetbot start` runs it (config from the environment, the console on stdin, resume
 * after a restart), with the docker provider on the real dockerd through the Engine API document's
 * check. DOCKER_KILLS (JSON) gives the image, the instance, the file the check's violations are
 * written to after every step, and `pauseAt` ("run <step>" or "undo <step>"): the bot stops just
 * before that step or its undo begins, tells the parent over IPC and waits there to be killed.
 */
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { start } from '../../../src/cli/start.js';
import { loadConfig } from '../../../src/config/index.js';
import type { Provider } from '../../../src/core/fleet/provider.js';
import type { Step } from '../../../src/core/jobs/plan.js';
import { testDockerProvider, testEngine } from '../../support/docker.js';

export const dockerKillSetup = z.object({
  image: z.string(),
  instance: z.string(),
  violations: z.string(),
  pauseAt: z.string().optional(),
});
export type DockerKillSetup = z.infer<typeof dockerKillSetup>;

const setup = dockerKillSetup.parse(JSON.parse(process.env.DOCKER_KILLS ?? '{}'));
const { engine, spec } = testEngine();
const report = (): void => writeFileSync(setup.violations, JSON.stringify(spec.violations));
report();

const halt = (where: string): Promise<never> => {
  process.send?.({ pausedAt: where });
  return new Promise<never>(() => undefined);
};

/** Every step and undo of every plan able to stop at `at`; the check's findings written after each. */
const pausing = (provider: Provider, at: string | undefined): Provider => {
  const wrap = (step: Step): Step => ({
    ...step,
    run: async (ctx) => {
      if (at === `run ${step.key}`) await halt(at);
      try {
        return await step.run(ctx);
      } finally {
        report();
      }
    },
    ...(step.undo
      ? {
          undo: async (ctx, output) => {
            if (at === `undo ${step.key}`) await halt(at);
            try {
              return await step.undo!(ctx, output);
            } finally {
              report();
            }
          },
        }
      : {}),
  });
  return {
    ...provider,
    deployPlan: (request) => provider.deployPlan(request).map(wrap),
    destroyPlan: (agent) => provider.destroyPlan(agent).map(wrap),
  };
};

await start(loadConfig(), {
  providers: [
    pausing(
      testDockerProvider({ engine, image: setup.image, instance: setup.instance, healthDeadlineMs: 6_000 }),
      setup.pauseAt,
    ),
  ],
});
