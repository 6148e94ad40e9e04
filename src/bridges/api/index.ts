import { operations } from '../../core/api/operations.js';
import type { Bridge, BridgeHost } from '../../core/chat/types.js';
import type { Clock } from '../../core/runtime/clock.js';
import type { HttpServer } from '../../core/runtime/httpServer.js';
import type { Logger } from '../../core/runtime/logging.js';
import { serveApi } from './routes.js';

/**
 * Programs over HTTP: the /v1 routes on the shared server. A program's chat (`api:<key>`) has nobody
 * to show a message to: the cards of the jobs it starts and the replies of its commands reach it as
 * records and events instead, so sending there succeeds and shows nothing.
 */
export function createApiBridge(opts: {
  http: HttpServer;
  clock: Clock;
  log: Logger;
  version: string;
}): Bridge {
  let host: BridgeHost | undefined;
  let sent = 0;
  return {
    platform: 'api',
    limits: { maxTextLength: 1_000_000, minEditIntervalMs: 0 },
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
    send: async (chat) => ({ chat, messageId: `api-${++sent}` }),
    edit: async () => undefined,
    // The routes stay on the shared server, which belongs to the process; requests now get 503.
    async stop() {
      host = undefined;
    },
  };
}
