import { createServer } from 'node:http';

/**
 * What the reference agent (templates/agent/server.mjs) answers, served from the calling process
 * instead of a Node process of its own: benchmarks that start fifty agents at once on a small machine
 * would otherwise measure the agents' start-up (about 50 ms of CPU each), not fleetbot.
 */
export async function startStandInAgent(env: Record<string, string>, port: number) {
  const startedAt = Date.now();
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/health') return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(
      JSON.stringify({
        status: 'ok',
        name: env.AGENT_NAME ?? 'agent',
        role: env.AGENT_ROLE ?? 'unknown',
        version: '0.1.0',
        uptime: Math.round((Date.now() - startedAt) / 1000),
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { stop: (): void => void server.close() };
}
