import { mkdirSync } from 'node:fs';
import { doctorReport, runDoctor } from './cli/doctor.js';
import { printOutcome, runOneShot } from './cli/oneShot.js';
import { problemOutcome, statusTable } from './cli/outcome.js';
import { renderSettings } from './cli/settings.js';
import { start } from './cli/start.js';
import { ConfigError, loadConfig, loadSettingsReport, type Config } from './config/index.js';
import { systemClock } from './core/runtime/clock.js';
import { clockTime } from './core/chat/format.js';
import { acquireInstanceLock } from './core/runtime/instanceLock.js';
import { createLogger } from './core/runtime/logging.js';
import { createPairing } from './core/access/pairing.js';
import { openStore } from './core/store/index.js';
import { privateFile } from './core/runtime/privateFiles.js';
import { fleetbotVersion } from './core/runtime/version.js';
import { completionScripts, isShell } from './cli/completionScripts.js';

const usage = `Usage: fleetbot <command>

  --version             print fleetbot's version
  start                 run the bot (the default); on a terminal it talks to you on the console
  doctor [--json]       check every configured credential and the store; exit 1 if anything is wrong;
                        --json prints one document {ok, checks: [{name, ok, detail, fix?}]}
  config [--json]       print every setting: its value (secrets only as set or unset) and where it
                        came from (environment, env file, secret file, credential, default)
  pair                  print a one-time code that makes whoever sends it to the bot an admin
  backup <file>         copy the store to <file> while the bot runs (SQLite online backup)
  mcp [--read-only]     an MCP server on stdin/stdout for an MCP client to start; acts as
                        FLEETBOT_API_KEY, or without it as the console's admin
  completion bash|zsh|fish
                        print a shell completion script (commands, flags, roles, agent names),
                        e.g. source <(fleetbot completion bash)
  --env-file <file>     read settings from <file> instead of ./.env (e.g. /etc/fleetbot/env)
  <command> [args]      run one chat command as the console admin and exit, e.g.
                        fleetbot deploy swe alice --provider local --json
                        --yes approves the command's own card (destroy); --json prints one JSON
                        document {status, record, problem?}: the record the HTTP API gives, and for
                        a job the command started, the job as it ended

Exit codes and --json statuses of a chat command:
${statusTable()}
`;

/** The config, with its data folder made: every command opens the store or the lock file in it. */
const readConfig = (): Config =>
  configured(() => {
    const config = loadConfig(envFile);
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    return config;
  });

/** Every setting and where it came from, for `fleetbot config`; it opens nothing. */
const readSettings = () => configured(() => loadSettingsReport(envFile));

/** What `read` returns; on a bad setting, one line per problem and exit code 2. */
function configured<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(
        `fleetbot: configuration problem:\n${err.message}\nSee .env.example for every setting.\n`,
      );
      process.exit(2);
    }
    throw err;
  }
}

/** `fleetbot doctor`: a line per check as it finishes, or with --json one document at the end. */
async function doctor(config: Config, json: boolean): Promise<boolean> {
  if (!json) return runDoctor(config, (line) => void process.stdout.write(`${line}\n`));
  const report = await doctorReport(config);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return report.ok;
}

/** Prints a fresh pairing code: whoever can run this on the host may make themselves admin. */
function pair(config: Config): void {
  const store = openStore(config.dbPath, systemClock);
  try {
    const { code, expiresAt } = createPairing(store, systemClock).issue();
    process.stdout.write(
      `Pairing code: ${code} (valid until ${clockTime(expiresAt)}).\nSend "/pair ${code}" to the bot in a private chat to become admin.\n`,
    );
  } finally {
    store.close();
  }
}

async function backup(config: Config, file: string | undefined): Promise<number> {
  if (!file) {
    process.stderr.write(
      'fleetbot: say where to write the backup, e.g. fleetbot backup /var/backups/fleetbot.db\n',
    );
    return 2;
  }
  const store = openStore(config.dbPath, systemClock);
  try {
    // A backup holds everything the store does, so it is as private as the store.
    privateFile(file);
    await store.db.backup(file);
    process.stdout.write(
      `Backed up ${config.dbPath} to ${file}. To restore: stop fleetbot, copy it back to ${config.dbPath}, start fleetbot.\n`,
    );
    return 0;
  } finally {
    store.close();
  }
}

async function oneShot(config: Config, argv: string[]): Promise<number> {
  const lock = acquireInstanceLock(config.dataDir);
  if ('heldBy' in lock) {
    const detail = `The bot is running (pid ${lock.heldBy}) and owns ${config.dataDir}; send the command in chat or through the HTTP API instead, or stop the bot first.`;
    return printOutcome(problemOutcome('unavailable', detail), argv.includes('--json'));
  }
  try {
    return await runOneShot(
      config,
      createLogger({
        level: config.logLevel === 'info' ? 'warn' : config.logLevel,
        pretty: false,
        secrets: config.secrets,
      }),
      argv,
    );
  } finally {
    lock.release();
  }
}

/**
 * The candidates a completion script asks for, one a line. Quick and quiet: no bot, no lock, no
 * data folder made; without a readable config it still offers the commands.
 */
async function completeWords(words: string[]): Promise<void> {
  const [{ complete, roleNames, storeExists }, { commands }, { allProviders }] = await Promise.all([
    import('./cli/completion.js'),
    import('./commands/index.js'),
    import('./providers/index.js'),
  ]);
  let config: Config | undefined;
  try {
    config = loadConfig(envFile);
  } catch {
    config = undefined;
  }
  const candidates = complete(words, commands, {
    providers: allProviders.map((p) => p.name),
    roles: () => (config ? roleNames(config.rolesDir) : []),
    agents: () => {
      if (!config || !storeExists(config.dbPath)) return [];
      const store = openStore(config.dbPath, systemClock);
      try {
        return store.agents.list().map((a) => a.name);
      } finally {
        store.close();
      }
    },
  });
  process.stdout.write(candidates.map((c) => `${c}\n`).join(''));
}

/** `--env-file <file>` anywhere: settings from that file instead of ./.env, secrets never on argv. */
const args = process.argv.slice(2);
const envFileAt = args.indexOf('--env-file');
const envFile = envFileAt === -1 ? undefined : args.splice(envFileAt, 2)[1];
const [command = 'start', ...rest] = args;
if (command === 'help' || command === '--help' || command === '-h') {
  process.stdout.write(usage);
} else if (command === '--version' || command === '-v' || command === 'version') {
  process.stdout.write(`fleetbot ${fleetbotVersion}\n`);
} else if (command === 'completion') {
  if (isShell(rest[0])) process.stdout.write(completionScripts[rest[0]]);
  else {
    process.stderr.write('fleetbot: say which shell: fleetbot completion bash, zsh or fish\n');
    process.exitCode = 2;
  }
} else if (command === '__complete') {
  await completeWords(rest);
} else if (command === 'start') {
  await start(readConfig());
} else if (command === 'pair') {
  pair(readConfig());
} else if (command === 'doctor') {
  process.exitCode = (await doctor(readConfig(), rest.includes('--json'))) ? 0 : 1;
} else if (command === 'config') {
  process.stdout.write(renderSettings(readSettings(), rest.includes('--json')));
} else if (command === 'backup') {
  process.exitCode = await backup(readConfig(), rest[0]);
} else if (command === 'mcp') {
  // Loaded here, not above: the MCP SDK is no part of a `fleetbot start` (B7's idle RSS).
  const { runMcp } = await import('./cli/mcp.js');
  process.exitCode = await runMcp(readConfig(), rest);
} else if (/^[a-z]{2,32}$/.test(command)) {
  process.exitCode = await oneShot(readConfig(), [command, ...rest]);
} else {
  process.stderr.write(usage);
  process.exitCode = 2;
}
