import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Many agents' health endpoints in one process (each its own HTTP server on a loopback port), started
 * by B6 as a child so serving them does not count as the monitor's CPU time. Sends the ports when ready.
 */
const count = Number(process.argv[2]);
const ports: number[] = [];
for (let i = 0; i < count; i++) {
  const body = JSON.stringify({ status: 'ok', name: `agent-${i}`, role: 'swe', version: 'bench', uptime: 1 });
  const server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(body),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ports.push((server.address() as AddressInfo).port);
}
process.send!(ports);
process.on('disconnect', () => process.exit(0));
