import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * B9's baseline, started as a child like the bot it is compared with: a bare node:http server that
 * answers every request with the JSON it was sent (by IPC), serialised afresh each time as any
 * server of live data must. Sends its port when ready.
 */
process.once('message', (value: unknown) => {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as AddressInfo).port));
});
process.on('disconnect', () => process.exit(0));
