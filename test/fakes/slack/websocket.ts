import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

// A WebSocket server end (RFC 6455), just enough for Socket Mode: the `ws` package is not installed,
// and undici (which the SDK uses) ships only a client. Text frames, ping/pong and close; no extensions.

const guid = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export type WsConnection = {
  send(text: string): void;
  /** A close handshake, as a server that is going away would start it. */
  close(code?: number): void;
  /** Cut the TCP connection without a word, as a network failure would. */
  drop(): void;
  /** Whether pings are answered; a server that stops answering looks dead to the client. */
  autoPong: boolean;
  readonly open: boolean;
};

function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([0x80 | opcode, len])
      : len < 65536
        ? Buffer.from([0x80 | opcode, 126, len >> 8, len & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 127]), bigLength(len)]);
  return Buffer.concat([head, payload]);
}

function bigLength(len: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(len));
  return b;
}

/** Completes the upgrade handshake and returns the connection, or undefined if it was not WebSocket. */
export function acceptWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  on: { message(text: string): void; closed(): void },
): WsConnection | undefined {
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || req.headers.upgrade?.toLowerCase() !== 'websocket') {
    socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    return undefined;
  }
  const accept = createHash('sha1')
    .update(key + guid)
    .digest('base64');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  let open = true;
  let buffered = Buffer.alloc(0);
  const conn: WsConnection = {
    autoPong: true,
    get open() {
      return open;
    },
    send(text) {
      if (open) socket.write(frame(0x1, Buffer.from(text, 'utf8')));
    },
    close(code = 1000) {
      if (!open) return;
      const payload = Buffer.alloc(2);
      payload.writeUInt16BE(code);
      socket.write(frame(0x8, payload));
    },
    drop() {
      open = false;
      socket.destroy();
    },
  };
  socket.on('close', () => {
    open = false;
    on.closed();
  });
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (buffered.length < 2) return;
      const opcode = buffered[0]! & 0x0f;
      const masked = (buffered[1]! & 0x80) !== 0;
      let len = buffered[1]! & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (buffered.length < 4) return;
        len = buffered.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (buffered.length < 10) return;
        len = Number(buffered.readBigUInt64BE(2));
        offset = 10;
      }
      const maskAt = offset;
      if (masked) offset += 4;
      if (buffered.length < offset + len) return;
      const payload = Buffer.from(buffered.subarray(offset, offset + len));
      if (masked) for (let i = 0; i < len; i++) payload[i] = payload[i]! ^ buffered[maskAt + (i % 4)]!;
      buffered = buffered.subarray(offset + len);
      if (opcode === 0x1) on.message(payload.toString('utf8'));
      else if (opcode === 0x9 && conn.autoPong && open) socket.write(frame(0xa, payload));
      else if (opcode === 0x8) {
        if (open) socket.write(frame(0x8, payload.subarray(0, 2)));
        open = false;
        socket.end();
      }
    }
  });
  return conn;
}
