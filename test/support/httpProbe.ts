import { connect, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';

/** An address of this host other than loopback, if it has one. */
export const outsideAddress = (): string | undefined =>
  Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

/** Opens a connection and sends only the request line and headers, announcing `contentLength` bytes it never sends. */
export function sendHead(
  port: number,
  head: string,
  contentLength: number,
  headers: Record<string, string> = {},
): Socket {
  const more = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  const socket = connect(port, '127.0.0.1', () =>
    socket.write(`${head}\r\nHost: x\r\nContent-Length: ${contentLength}\r\n${more.join('')}\r\n`),
  );
  return socket;
}

/**
 * Sends only the request line and headers (announcing `contentLength` bytes) and waits for the status
 * line: a server that answers has decided without reading a byte of the body.
 */
export function answerBeforeBody(
  port: number,
  head: string,
  contentLength: number,
  headers: Record<string, string> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = sendHead(port, head, contentLength, headers);
    let reply = '';
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.split('\r\n')[0]!);
      }
    });
    socket.on('error', reject);
    socket.setTimeout(3_000, () => {
      socket.destroy();
      resolve('no answer while the body was unsent');
    });
  });
}
