import { accessSync, constants, mkdirSync } from 'node:fs';
import { Api, GrammyError } from 'grammy';
import type { Config } from '../config/index.js';
import { systemClock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { loadRoles } from '../core/roles.js';
import { openStore } from '../core/store/index.js';

export type CheckResult = { ok: boolean; detail: string; fix?: string };
type Check = {
  name: string;
  applies: (config: Config) => boolean;
  run: (config: Config) => Promise<CheckResult>;
};

const timeout = (): AbortSignal => AbortSignal.timeout(10_000);

/** Every check `fleetbot doctor` knows; each says what it found and, when it fails, how to fix it. */
export const checks: Check[] = [
  {
    name: 'store',
    applies: () => true,
    run: async (config) => {
      try {
        mkdirSync(config.dataDir, { recursive: true });
        accessSync(config.dataDir, constants.W_OK);
        const store = openStore(config.dbPath, systemClock);
        store.cursors.set('doctor', String(Date.now()));
        store.close();
        return { ok: true, detail: `${config.dbPath} is writable` };
      } catch (err) {
        return {
          ok: false,
          detail: `cannot write ${config.dbPath}: ${errorMessage(err)}`,
          fix: 'make FLEETBOT_DATA_DIR a folder the fleetbot user owns (under systemd: StateDirectory=fleetbot)',
        };
      }
    },
  },
  {
    name: 'roles',
    applies: () => true,
    run: async (config) => {
      try {
        const roles = loadRoles(config.rolesDir);
        return { ok: true, detail: `${roles.size} roles: ${[...roles.keys()].join(', ')}` };
      } catch (err) {
        return {
          ok: false,
          detail: errorMessage(err),
          fix: 'fix the role file named above, or point FLEETBOT_ROLES_DIR at templates/roles',
        };
      }
    },
  },
  {
    name: 'telegram',
    applies: (config) => config.telegram !== undefined,
    run: async (config) => {
      const api = new Api(config.telegram!.token, { apiRoot: config.telegram!.apiRoot });
      try {
        const me = await api.getMe(timeout() as Parameters<Api['getMe']>[0]);
        return { ok: true, detail: `token works: the bot is @${me.username}` };
      } catch (err) {
        if (err instanceof GrammyError && err.error_code === 401) {
          return {
            ok: false,
            detail: 'TELEGRAM_BOT_TOKEN was refused (401)',
            fix: 'get the token again from @BotFather (/token) and set TELEGRAM_BOT_TOKEN',
          };
        }
        return {
          ok: false,
          detail: `cannot reach the Bot API at ${config.telegram!.apiRoot}: ${errorMessage(err)}`,
          fix: 'check the network, or TELEGRAM_API_ROOT if you use a local Bot API server',
        };
      }
    },
  },
];

/** Runs every check that applies; prints one line each; true when all passed. */
export async function runDoctor(
  config: Config,
  out: (line: string) => void,
  list: Check[] = checks,
): Promise<boolean> {
  let allOk = true;
  for (const check of list.filter((c) => c.applies(config))) {
    const result = await check
      .run(config)
      .catch((err: unknown): CheckResult => ({ ok: false, detail: errorMessage(err) }));
    allOk &&= result.ok;
    out(
      `${result.ok ? '✓' : '✗'} ${check.name}: ${result.detail}${result.ok || !result.fix ? '' : `. Fix: ${result.fix}`}`,
    );
  }
  return allOk;
}
