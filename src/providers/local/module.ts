import path from 'node:path';
import { z } from 'zod';
import { defineProviderModule } from '../module.js';
import { createLocalProvider, type Isolation, type LocalOptions } from './index.js';
import { probeSandbox, type Sandbox } from './sandbox.js';

export type LocalSettings = {
  /** FLEETBOT_LOCAL_UNSANDBOXED: run agents without a sandbox even where a chat platform is configured. */
  unsandboxed: boolean;
  /** Chat platforms besides the console: people other than the one at the keyboard can deploy. */
  chatPlatforms: readonly string[];
  /** fleetbot's own files no sandbox may show: the data folder, the store and .env. */
  hidden: string[];
  /** Found at start; a test may name one. */
  sandbox?: Sandbox;
} & Partial<Pick<LocalOptions, 'healthDeadlineMs' | 'stopGraceMs' | 'pollIntervalMs'>>;

const variables = {
  FLEETBOT_LOCAL_UNSANDBOXED: {
    schema: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    example: 'false',
    help: 'Run local agents as fleetbot’s own user when bubblewrap is missing, even with a chat platform configured (unsafe: they can read its tokens).',
  },
} as const;

/** Whether this host can sandbox agents does not change while fleetbot runs: probed once per process. */
let probed: Sandbox | undefined;
const sandboxHere = (): Sandbox => (probed ??= probeSandbox());

/** Sandboxed, unsandboxed or refused, and the one line that says so at start. */
export function isolationFor(
  settings: LocalSettings,
  sandbox: Sandbox,
): { isolation: Isolation; line: string } {
  if (sandbox.available)
    return {
      isolation: { kind: 'sandbox', bwrap: sandbox.bwrap },
      line: `local agents run in a bubblewrap sandbox (${sandbox.bwrap})`,
    };
  if (settings.chatPlatforms.length === 0)
    return {
      isolation: { kind: 'unsandboxed' },
      line: `local agents run as you, unsandboxed (${sandbox.reason}); install bubblewrap to contain them`,
    };
  if (settings.unsandboxed)
    return {
      isolation: { kind: 'unsandboxed' },
      line: `local agents run unsandboxed as fleetbot's own user, as FLEETBOT_LOCAL_UNSANDBOXED=true asks (${sandbox.reason}): any agent can read fleetbot's tokens and store`,
    };
  const reason = `local agents cannot be sandboxed (${sandbox.reason}), and with ${settings.chatPlatforms.join(' and ')} configured an unsandboxed agent could read fleetbot's tokens and store. Install bubblewrap (apt-get install bubblewrap), deploy with another provider, or set FLEETBOT_LOCAL_UNSANDBOXED=true to accept that risk`;
  return { isolation: { kind: 'refused', reason }, line: `${reason}; local deploys are refused` };
}

/** Child processes on the bot's own host, each in a bubblewrap sandbox: needs no account anywhere. */
export const localModule = defineProviderModule({
  name: 'local',
  variables,
  settings: (v): LocalSettings => {
    const dataDir = path.resolve(v.FLEETBOT_DATA_DIR);
    return {
      unsandboxed: v.FLEETBOT_LOCAL_UNSANDBOXED,
      chatPlatforms: v.chatPlatforms,
      hidden: [dataDir, path.resolve(v.FLEETBOT_DB ?? dataDir), path.resolve('.env')],
    };
  },
  deployFlags: {},
  doctor: [
    {
      name: 'local sandbox',
      run: async (settings) => {
        const { isolation, line } = isolationFor(settings, settings.sandbox ?? sandboxHere());
        return isolation.kind === 'refused'
          ? {
              ok: false,
              detail: line,
              fix: 'apt-get install bubblewrap, and let fleetbot create user namespaces',
            }
          : { ok: true, detail: line };
      },
    },
  ],
  create: (settings, shared) => {
    const { isolation, line } = isolationFor(settings, settings.sandbox ?? sandboxHere());
    if (isolation.kind === 'sandbox') shared.log.info(line);
    else shared.log.warn(line);
    return createLocalProvider({
      ...settings,
      dataDir: shared.dataDir,
      clock: shared.clock,
      log: shared.log,
      isolation,
      hidden: [...settings.hidden, shared.dataDir],
    });
  },
});
