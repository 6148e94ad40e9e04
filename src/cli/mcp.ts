import { PassThrough } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMcpServer } from '../bridges/mcp/server.js';
import type { Config } from '../config/index.js';
import { createHttpServer } from '../core/runtime/httpServer.js';
import { acquireInstanceLock } from '../core/runtime/instanceLock.js';
import { createLogger } from '../core/runtime/logging.js';
import { createMetrics } from '../core/runtime/metrics.js';
import { privateDir } from '../core/runtime/privateFiles.js';
import { RolesError } from '../core/fleet/roles.js';
import { createBridges, createFleetbot, type Fleetbot } from '../main.js';
import { cliStatuses } from './outcome.js';
import { stopFleetbot } from './stopFleetbot.js';

/**
 * `fleetbot mcp [--read-only]`: fleetbot's core with an MCP server on stdin and stdout, for an MCP
 * client that starts it (Claude Desktop, Claude Code). stdout is the protocol's alone: the log goes to
 * stderr, and so do the console's cards (a destroy's approval card shows there; nobody types into
 * it, stdin being the protocol's too). Chat platforms that are configured run as usual, so their
 * admins see approval cards. It acts as FLEETBOT_API_KEY's key, or without one as the console's admin.
 */
export async function runMcp(config: Config, argv: string[]): Promise<number> {
  const unknown = argv.filter((a) => a !== '--read-only');
  if (unknown.length) {
    process.stderr.write(`fleetbot: mcp takes only --read-only, not ${unknown.join(' ')}\n`);
    return 2;
  }
  privateDir(config.dataDir);
  const log = createLogger({
    level: config.logLevel,
    pretty: false,
    destination: 2,
    secrets: config.secrets,
  });
  const lock = acquireInstanceLock(config.dataDir);
  if ('heldBy' in lock) {
    process.stderr.write(
      `fleetbot: the bot is running (pid ${lock.heldBy}) and owns ${config.dataDir}; point the MCP client at its /mcp over HTTP (FLEETBOT_HTTP_PORT) instead, or stop the bot first.\n`,
    );
    return 1;
  }
  const cards = new PassThrough();
  cards.pipe(process.stderr);
  const metrics = createMetrics();
  const http =
    config.http.port === undefined
      ? undefined
      : createHttpServer({ port: config.http.port, host: config.http.host, log });
  const withConsole = { ...config, bridges: { ...config.bridges, console: { mode: 'on' as const } } };
  const { bridges } = createBridges(withConsole, {
    log,
    // The console's input never comes: stdin carries MCP messages.
    stdin: new PassThrough(),
    stdout: cards,
    onFatal: (err) => {
      log.fatal(err.message);
      process.exit(1);
    },
    metrics,
    ...(http ? { http } : {}),
  });
  await http?.listen();
  let bot: Fleetbot;
  try {
    bot = await createFleetbot(withConsole, { bridges, log, metrics, ...(http ? { http } : {}) });
  } catch (err) {
    if (!(err instanceof RolesError)) throw err;
    await http?.close();
    lock.release();
    process.stderr.write(`fleetbot: ${err.message}\n`);
    return cliStatuses.misconfigured.exit;
  }
  const server = createMcpServer({
    call: (request) => bot.host.call(request),
    who: config.apiKey === undefined ? { console: true } : { key: config.apiKey },
    readOnly: argv.includes('--read-only'),
  });
  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    /** The client left (stdin ended): jobs it started finish first. A signal pauses them for the next start. */
    const stop = async (finishJobs: boolean) => {
      if (stopping) return;
      stopping = true;
      await server.close();
      await stopFleetbot({ bot, http, lock, log }, finishJobs);
      resolve();
    };
    process.stdin.once('end', () => void stop(true));
    process.once('SIGINT', () => void stop(false));
    process.once('SIGTERM', () => void stop(false));
  });
  await server.connect(new StdioServerTransport());
  log.info(
    { readOnly: argv.includes('--read-only'), as: config.apiKey ? 'key' : 'console' },
    'MCP server on stdio',
  );
  await stopped;
  return 0;
}
