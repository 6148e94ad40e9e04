import { execFileSync } from 'node:child_process';
import { startFakeTelegram } from '../test/fakes/telegram/index.js';
import { tempDir } from '../test/support/env.js';
import type { Benchmark } from './row.js';
import { median, repeat } from './stats.js';
import { timeStart } from './support/startBot.js';

/**
 * B7: `node dist/cli.js start` (built first) to its 'fleetbot is ready' log line, with Telegram (the
 * fake, long polling) as a service would run, then its RSS after a few seconds idle.
 */
export const startup: Benchmark = async ({ quick }) => {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
  const fake = await startFakeTelegram();
  try {
    const runs = await repeat(quick ? 2 : 5, async () => {
      const tmp = tempDir('fleetbot-bench-');
      try {
        return await timeStart(
          {
            FLEETBOT_DATA_DIR: tmp.dir,
            FLEETBOT_CONSOLE: 'off',
            FLEETBOT_ADMINS: 'telegram:1001',
            TELEGRAM_BOT_TOKEN: fake.token,
            TELEGRAM_API_ROOT: fake.apiRoot,
          },
          quick ? 1_000 : 3_000,
        );
      } finally {
        tmp.cleanup();
      }
    });
    return [
      {
        id: 'B7',
        what: 'start to ready (node dist/cli.js start, Telegram)',
        measured: median(runs.map((r) => r.readyMs)),
        unit: 'ms',
        target: 1000,
        detail: { runs },
      },
      {
        id: 'B7',
        what: 'idle RSS after start',
        measured: median(runs.map((r) => r.idleRssMB)),
        unit: 'MB',
        target: 100,
      },
    ];
  } finally {
    await fake.close();
  }
};
