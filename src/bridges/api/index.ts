import { operations } from '../../core/api/operations.js';
import type { Bridge, BridgeHost } from '../../core/chat/types.js';
import type { Clock } from '../../core/runtime/clock.js';
import type { HttpServer } from '../../core/runtime/httpServer.js';
import type { Logger } from '../../core/runtime/logging.js';
import { createProgramChats } from '../../core/chat/programChats.js';
import { serveApi } from './routes.js';

/**
 * Programs over HTTP: the /v1 routes on the shared server. A program's chat (`api:<key>`) has nobody
 * to show a message to: the cards of the jobs it starts and the replies of its commands reach it as
 * records and events instead, so sending there succeeds and shows nothing (`programChats.ts`).
 */
export function createApiBridge(opts: {
  http: HttpServer;
  clock: Clock;
  log: Logger;
  version: string;
}): Bridge {
  let host: BridgeHost | undefined;
  return {
    ...createProgramChats(),
    async start(_deliver, given) {
      host = given;
      serveApi(opts.http, operations, {
        host: () => host,
        clock: opts.clock,
        log: opts.log,
        version: opts.version,
      });
    },
    health: () => ({ ok: true, detail: 'serving /v1' }),
    // The routes stay on the shared server, which belongs to the process; requests now get 503.
    async stop() {
      host = undefined;
    },
  };
}
