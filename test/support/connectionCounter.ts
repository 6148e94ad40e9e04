import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A plain TCP listener that only counts who connects: enough to tell whether fleetbot tried to reach
 * an address at all (a TLS handshake with it would fail anyway). Loopback only.
 */
export async function countConnections(host = '127.0.0.2') {
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createServer((socket) => {
    count += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = '/'): string => `https://${host}:${port}${path}`,
    get count(): number {
      return count;
    },
    close: async (): Promise<void> => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
