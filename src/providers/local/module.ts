import { defineProviderModule } from '../module.js';
import { createLocalProvider, type LocalOptions } from './index.js';

/** Timings a test may shorten; the environment sets none. */
export type LocalSettings = Partial<
  Pick<LocalOptions, 'healthDeadlineMs' | 'stopGraceMs' | 'pollIntervalMs'>
>;

/** Child processes on the bot's own host: needs no account anywhere, so it is always there. */
export const localModule = defineProviderModule({
  name: 'local',
  variables: {},
  settings: (): LocalSettings => ({}),
  deployFlags: {},
  create: (settings, shared) =>
    createLocalProvider({ dataDir: shared.dataDir, clock: shared.clock, log: shared.log, ...settings }),
});
