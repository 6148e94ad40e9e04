import type { HttpServer } from '../core/runtime/httpServer.js';
import type { Logger } from '../core/runtime/logging.js';
import type { Fleetbot } from '../main.js';

/**
 * How a long-running fleetbot process ends (the bot, `fleetbot mcp`): on a signal, running jobs pause
 * at their next step and carry on after the next start; when its input ends (a script, an MCP client
 * that left), the jobs it started finish first. Then the HTTP server closes, the data folder is let
 * go and the log is written out.
 */
export async function stopFleetbot(
  running: { bot: Fleetbot; http: HttpServer | undefined; lock: { release(): void }; log: Logger },
  finishJobs: boolean,
): Promise<void> {
  const { bot, http, lock, log } = running;
  if (finishJobs) {
    await bot.idle();
    await bot.stop();
  } else {
    await bot.shutdown(30_000);
  }
  await http?.close();
  lock.release();
  log.flush();
}
