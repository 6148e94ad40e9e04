import { accessSync, constants } from 'node:fs';
import { allBridges } from '../bridges/index.js';
import type { Config } from '../config/index.js';
import type { CheckResult, ConfigModule } from '../config/module.js';
import type { Variables } from '../config/variables.js';
import { systemClock } from '../core/runtime/clock.js';
import { errorMessage } from '../core/runtime/errors.js';
import { privateDir } from '../core/runtime/privateFiles.js';
import { loadRoles } from '../core/fleet/roles.js';
import { openStore } from '../core/store/index.js';
import { allProviders, roleSections } from '../providers/index.js';
import { chatSections } from '../protocols/index.js';
import { sshLogin } from '../providers/ssh/login.js';

export type { CheckResult };
type Check = {
  name: string;
  applies: (config: Config) => boolean;
  run: (config: Config) => Promise<CheckResult>;
};

type Modules = readonly ConfigModule<string, Variables, unknown>[];
type SettingsTable = (config: Config) => Record<string, unknown>;

/** Each module's own checks, run when that module is configured. */
const checksOf = (modules: Modules, table: SettingsTable): Check[] =>
  modules.flatMap((m) =>
    (m.doctor ?? []).map((check) => ({
      name: check.name,
      applies: (config: Config) => table(config)[m.name] !== undefined,
      run: (config: Config) => check.run(table(config)[m.name]),
    })),
  );

/** Every check `fleetbot doctor` knows; each says what it found and, when it fails, how to fix it. */
export const checks: Check[] = [
  {
    name: 'store',
    applies: () => true,
    run: async (config) => {
      try {
        privateDir(config.dataDir);
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
        const roles = loadRoles(config.rolesDir, roleSections, chatSections);
        return { ok: true, detail: `${roles.size} roles: ${[...roles.keys()].join(', ')}` };
      } catch (err) {
        return {
          ok: false,
          detail: errorMessage(err),
          fix: 'fix the role file named above, or unset FLEETBOT_ROLES_DIR for the roles fleetbot comes with',
        };
      }
    },
  },
  ...checksOf(allBridges, (config) => config.bridges),
  ...checksOf(allProviders, (config) => config.providers),
  {
    name: 'ssh key',
    applies: (config) =>
      config.ssh.keyFile !== undefined ||
      allProviders.some(
        (m) => m.needsLoginKey && (config.providers as Record<string, unknown>)[m.name] !== undefined,
      ),
    run: async (config) => {
      try {
        const { publicKeys } = sshLogin(config.ssh);
        return {
          ok: true,
          detail: publicKeys[0]
            ? `${config.ssh.keyFile} is readable (${publicKeys[0].split(' ')[0]})`
            : 'using the SSH agent',
        };
      } catch (err) {
        return { ok: false, detail: errorMessage(err) };
      }
    },
  },
];

/** What `fleetbot doctor --json` prints: whether every check passed, and each one's result. */
export type DoctorReport = { ok: boolean; checks: ({ name: string } & CheckResult)[] };

/** Runs every check that applies, in order, telling `each` as each one finishes. */
export async function doctorReport(
  config: Config,
  each: (check: DoctorReport['checks'][number]) => void = () => {},
  list: Check[] = checks,
): Promise<DoctorReport> {
  const results: DoctorReport['checks'] = [];
  for (const check of list.filter((c) => c.applies(config))) {
    const result = await check
      .run(config)
      .catch((err: unknown): CheckResult => ({ ok: false, detail: errorMessage(err) }));
    const named = { name: check.name, ...result };
    results.push(named);
    each(named);
  }
  return { ok: results.every((r) => r.ok), checks: results };
}

/** Runs every check that applies; prints one line each as it finishes; true when all passed. */
export async function runDoctor(
  config: Config,
  out: (line: string) => void,
  list: Check[] = checks,
): Promise<boolean> {
  const report = await doctorReport(
    config,
    (c) => out(`${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}${c.ok || !c.fix ? '' : `. Fix: ${c.fix}`}`),
    list,
  );
  return report.ok;
}
