import { z } from 'zod';
import { defineBridgeModule } from '../module.js';
import { createApiBridge } from './index.js';

/** The version of the /v1 routes' contract, as the OpenAPI document states it. */
const apiVersion = '1.0.0';

export type ApiSettings = { on: true };

/** Programs over HTTP with an API key: /v1 on the shared HTTP server. */
export const apiModule = defineBridgeModule({
  name: 'api',
  variables: {
    FLEETBOT_API: {
      schema: z.enum(['auto', 'on', 'off']).default('auto'),
      example: 'auto',
      help: 'Programs over HTTP (/v1 and the MCP server at /mcp, keys from /keys create): auto (on when FLEETBOT_HTTP_PORT is set), on, off.',
    },
  },
  crossCheck: (v) =>
    v.FLEETBOT_API === 'on' && !v.FLEETBOT_HTTP_PORT
      ? ['FLEETBOT_API: the HTTP API needs FLEETBOT_HTTP_PORT; example: FLEETBOT_HTTP_PORT=8080']
      : [],
  settings: (v): ApiSettings | undefined =>
    v.FLEETBOT_API !== 'off' && v.FLEETBOT_HTTP_PORT ? { on: true } : undefined,
  create: (_settings, { http, clock, log }) => {
    if (!http) throw new Error('The HTTP API needs FLEETBOT_HTTP_PORT');
    return createApiBridge({ http, clock, log, version: apiVersion });
  },
});
