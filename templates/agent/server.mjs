#!/usr/bin/env node
// The reference agent: a dependency-free HTTP service that stands in for a real AI agent.
// It serves GET /health so fleetbot can tell that it runs, and logs one line per request.
import { createServer } from 'node:http';

const name = process.env.AGENT_NAME ?? 'agent';
const role = process.env.AGENT_ROLE ?? 'unknown';
const port = Number(process.env.PORT ?? 3100);
const host = process.env.HOST ?? '127.0.0.1';
const version = '0.1.0';
const startedAt = Date.now();

const log = (message) => console.log(`${new Date().toISOString()} ${name}: ${message}`);

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/health') {
    const body = JSON.stringify({
      status: 'ok',
      name,
      role,
      version,
      uptime: Math.round((Date.now() - startedAt) / 1000),
    });
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(body);
  } else {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not found', hint: 'GET /health' }));
  }
  log(`${req.method} ${path} ${res.statusCode}`);
});

// A slow start can be simulated (AGENT_START_DELAY_MS) to exercise how fleetbot waits for health.
const startDelayMs = Number(process.env.AGENT_START_DELAY_MS ?? 0);
setTimeout(
  () => server.listen(port, host, () => log(`${role} agent ${version} listening on http://${host}:${port}`)),
  startDelayMs,
);

const stop = (signal) => {
  log(`received ${signal}, shutting down`);
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
