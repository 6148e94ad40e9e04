import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type AgentMode = 'healthy' | 'failing' | 'slow' | 'gone';

/** A health endpoint on loopback that a test switches between healthy, failing, slow and gone. */
export async function startFakeAgent(name: string) {
  let mode: AgentMode = 'healthy';
  let hits = 0;
  const handler = (_req: IncomingMessage, res: ServerResponse): void => {
    hits++;
    if (mode === 'slow') return; // never answers: the check must time out
    if (mode === 'failing') {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"status":"error"}');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ status: 'ok', name, role: 'swe', version: 'test', uptime: 1 }));
  };
  let server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const close = (): Promise<void> =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    async set(next: AgentMode): Promise<void> {
      if (mode === 'gone' && next !== 'gone') {
        server = createServer(handler);
        await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      } else if (next === 'gone' && mode !== 'gone') {
        await close();
      }
      mode = next;
    },
    close: () => (mode === 'gone' ? Promise.resolve() : close()),
  };
}
