import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BridgeHost } from '../../core/chat/types.js';
import type { HttpServer } from '../../core/runtime/httpServer.js';
import type { Logger } from '../../core/runtime/logging.js';

/**
 * The MCP SDK and the server made from it, loaded on the first /mcp request: the SDK brings its own
 * HTTP framework and JSON Schema validator, about 7 MB of RSS that a fleetbot no program talks to
 * over MCP should not carry (B7 in BENCHMARKS.md), as the ACP protocol does with its SDK.
 */
const machinery = async () => ({
  ...(await import('@modelcontextprotocol/sdk/server/streamableHttp.js')),
  ...(await import('./server.js')),
});

/** MCP requests served at once; a wait_job holds one open until its job ends. */
const maxInFlight = 16;

const bearer = (req: IncomingMessage): string | undefined =>
  /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''))?.[1];

/**
 * MCP over Streamable HTTP at /mcp, stateless: every request gets its own server and transport, made
 * for the key in its `Authorization: Bearer` header, so nothing one key did carries over to another.
 * A missing, unknown, revoked or expired key is answered 401 before the body is read; the router
 * checks the key again, with its scopes, on every tool call.
 */
export function serveMcp(http: HttpServer, deps: { host: BridgeHost; log: Logger }): void {
  const handle = async (req: IncomingMessage, body: Buffer, res: ServerResponse) => {
    const key = bearer(req)!;
    const { createMcpServer, StreamableHTTPServerTransport } = await machinery();
    const server = createMcpServer({
      call: (request) => deps.host.call(request),
      who: { key },
      readOnly: false,
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.once('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    let parsed: unknown;
    try {
      parsed = body.length ? (JSON.parse(body.toString('utf8')) as unknown) : undefined;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          jsonrpc: '2.0',
          error: { code: -32700, message: 'The body is not JSON: send one JSON-RPC message (or a batch).' },
          id: null,
        }),
      );
      return;
    }
    await transport.handleRequest(req, res, parsed);
  };
  const limits = {
    authorize: (req: IncomingMessage) => {
      const key = bearer(req);
      return key !== undefined && deps.host.checkKey(key);
    },
    maxInFlight,
  };
  for (const method of ['POST', 'GET', 'DELETE']) http.route(method, '/mcp', handle, limits);
  deps.log.debug('MCP served at /mcp');
}
