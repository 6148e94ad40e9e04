import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from './config/index.js';
import { systemClock } from './core/clock.js';
import { clockTime } from './core/format.js';
import { createHttpServer } from './core/httpServer.js';
import { createPairing } from './core/pairing.js';
import { openStore } from './core/store/index.js';
import { createLogger } from './core/logging.js';
import { createBridges, createFleetbot } from './main.js';

const usage = `Usage: fleetbot [start]

  start   run the bot (the default); on a terminal it talks to you on the console
  pair    print a one-time code that makes whoever sends it to the bot an admin
`;

function readConfig(): Config {
  try {
    return loadConfig();
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

async function start(): Promise<void> {
  const config = readConfig();
  mkdirSync(config.dataDir, { recursive: true });
  // On a terminal the console is the chat, so logs go to a file instead of scrolling through it.
  const interactive = process.stdout.isTTY === true && config.console !== 'off';
  const logFile = path.join(config.dataDir, 'fleetbot.log');
  const log = createLogger({
    level: config.logLevel,
    pretty: !interactive && process.stderr.isTTY === true,
    destination: interactive ? logFile : 2,
  });
  const fatal = (err: Error): void => {
    log.fatal(err.message);
    log.flush();
    process.stderr.write(`fleetbot: ${err.message}\n`);
    process.exit(1);
  };
  const http = config.httpPort === undefined ? undefined : createHttpServer({ port: config.httpPort, log });
  const { bridges, console: consoleBridge } = createBridges(config, {
    log,
    stdin: process.stdin,
    stdout: process.stdout,
    onFatal: fatal,
    ...(http ? { http } : {}),
  });
  let bot;
  try {
    await http?.listen();
    bot = await createFleetbot(config, { bridges, log });
  } catch (err) {
    process.stderr.write(`fleetbot: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  if (interactive) process.stdout.write(`(logs: ${logFile})\n`);
  log.info({ db: config.dbPath, provider: config.provider }, 'fleetbot is ready');

  let stopping = false;
  const shutdown = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, 'stopping');
    await bot.idle();
    await bot.stop();
    await http?.close();
    log.flush();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // A piped script ends with its input; finish its jobs, then leave (agents keep running). With a
  // chat platform also running, the end of the console's input is just the end of the console.
  if (consoleBridge && bridges.length === 1)
    void consoleBridge.inputClosed.then(() => shutdown('input closed'));
}

/** Prints a fresh pairing code: whoever can run this on the host may make themselves admin. */
function pair(): void {
  const config = readConfig();
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

const [command = 'start'] = process.argv.slice(2);
if (command === 'start') {
  await start();
} else if (command === 'pair') {
  pair();
} else {
  process.stderr.write(usage);
  process.exit(command === 'help' || command === '--help' ? 0 : 2);
}
