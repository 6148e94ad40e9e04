import path from 'node:path';
import type { Config } from '../config/index.js';
import { createHttpServer } from '../core/runtime/httpServer.js';
import { acquireInstanceLock } from '../core/runtime/instanceLock.js';
import { createLogger } from '../core/runtime/logging.js';
import { createMetrics } from '../core/runtime/metrics.js';
import { privateDir, privateFile } from '../core/runtime/privateFiles.js';
import { consoleLogRotation, rotatingLog } from '../core/runtime/rotatingLog.js';
import { fleetbotVersion } from '../core/runtime/version.js';
import { createBridges, createFleetbot, type FleetbotDeps } from '../main.js';
import { stopFleetbot } from './stopFleetbot.js';

/**
 * `fleetbot start`: the long-running bot, as `npm start` and the systemd unit run it. `extra` adds
 * providers the config cannot describe (the crash tests' provider pointed at in-process fakes).
 */
export async function start(config: Config, extra: Pick<FleetbotDeps, 'providers'> = {}): Promise<void> {
  privateDir(config.dataDir);
  // On a terminal the console is the chat, so logs go to a file instead of scrolling through it.
  const interactive = process.stdout.isTTY === true && config.bridges.console?.mode !== 'off';
  const logFile = path.join(config.dataDir, 'fleetbot.log');
  // The log carries the pairing code and agent output; an older start may have left it readable.
  if (interactive) privateFile(logFile);
  const log = createLogger({
    level: config.logLevel,
    pretty: !interactive && process.stderr.isTTY === true,
    destination: interactive ? rotatingLog(logFile, consoleLogRotation) : 2,
    secrets: config.secrets,
  });
  const say = (line: string): void => void process.stderr.write(`fleetbot: ${line}\n`);
  const lock = acquireInstanceLock(config.dataDir);
  if ('heldBy' in lock) {
    say(
      `another fleetbot (pid ${lock.heldBy}) is running on ${config.dataDir}; stop it first, or give this one its own FLEETBOT_DATA_DIR.`,
    );
    process.exit(1);
  }
  const fatal = (err: Error): void => {
    log.fatal(err.message);
    log.flush();
    say(err.message);
    lock.release();
    process.exit(1);
  };
  const metrics = createMetrics();
  const http =
    config.http.port === undefined
      ? undefined
      : createHttpServer({ port: config.http.port, host: config.http.host, log });
  const { bridges, console: consoleBridge } = createBridges(config, {
    log,
    stdin: process.stdin,
    stdout: process.stdout,
    onFatal: fatal,
    metrics,
    ...(http ? { http } : {}),
  });
  let bot;
  try {
    await http?.listen();
    bot = await createFleetbot(config, { bridges, log, metrics, ...extra, ...(http ? { http } : {}) });
  } catch (err) {
    lock.release();
    say(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  if (interactive) process.stdout.write(`(logs: ${logFile})\n`);
  // With a chat platform and nobody to run it, the person at the host pairs their chat account.
  if (bridges.some((b) => b.platform !== 'console') && !bot.pairing.hasRemoteAdmin()) {
    const { code, expiresAt } = bot.pairing.issue();
    const line = `No admin is configured. Send "/pair ${code}" to the bot in a private chat before ${new Date(expiresAt).toISOString()} to become admin (or set FLEETBOT_ADMINS).`;
    log.warn(line);
    if (interactive) say(line);
  }
  log.info(
    {
      version: fleetbotVersion,
      db: config.dbPath,
      provider: config.provider,
      bridges: bridges.map((b) => b.platform),
    },
    'fleetbot is ready',
  );

  let stopping = false;
  const shutdown = async (reason: string, finishJobs: boolean): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, 'stopping');
    await stopFleetbot({ bot, http, lock, log }, finishJobs);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT', false));
  process.on('SIGTERM', () => void shutdown('SIGTERM', false));
  // A piped script ends with its input; finish its jobs, then leave (agents keep running). With a
  // chat platform also running, the end of the console's input is just the end of the console.
  if (consoleBridge && bridges.length === 1)
    void consoleBridge.inputClosed.then(() => shutdown('input closed', true));
}
