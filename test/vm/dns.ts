import { createSocket } from 'node:dgram';

/**
 * A DNS answer for the lab: A queries for names the fake Cloudflare holds, answered from its records,
 * so pebble's HTTP-01 check and the bot's HTTPS check resolve an agent's name as the internet would.
 * Anything else gets NXDOMAIN (or an empty answer for a known name of another type).
 */
export async function startLabDns(
  address: string,
  lookup: (name: string) => string | undefined,
): Promise<{ close(): Promise<void> }> {
  const socket = createSocket('udp4');
  socket.on('message', (query, peer) => {
    const answer = answerQuery(query, lookup);
    if (answer) socket.send(answer, peer.port, peer.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(53, address, () => resolve());
  });
  return { close: () => new Promise((resolve) => socket.close(() => resolve())) };
}

/** One question in, one answer out (RFC 1035 §4.1); undefined for what is not a query. */
export function answerQuery(query: Buffer, lookup: (name: string) => string | undefined): Buffer | undefined {
  if (query.length < 12 || (query[2]! & 0x80) !== 0 || query.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let at = 12;
  while (at < query.length && query[at] !== 0) {
    const length = query[at]!;
    labels.push(query.subarray(at + 1, at + 1 + length).toString('ascii'));
    at += 1 + length;
  }
  const questionEnd = at + 5;
  if (questionEnd > query.length) return undefined;
  const type = query.readUInt16BE(at + 1);
  const address = lookup(labels.join('.').toLowerCase());
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2);
  // QR, opcode 0, AA, RD copied; RA off; RCODE 3 (NXDOMAIN) for unknown names.
  header[2] = 0x84 | (query[2]! & 0x01);
  header[3] = address === undefined ? 3 : 0;
  header.writeUInt16BE(1, 4);
  const a = type === 1 && address !== undefined;
  header.writeUInt16BE(a ? 1 : 0, 6);
  const question = query.subarray(12, questionEnd);
  if (!a) return Buffer.concat([header, question]);
  const record = Buffer.alloc(16);
  record.writeUInt16BE(0xc00c, 0); // the name, as a pointer to the question's
  record.writeUInt16BE(1, 2); // A
  record.writeUInt16BE(1, 4); // IN
  record.writeUInt32BE(60, 6); // TTL
  record.writeUInt16BE(4, 10);
  address.split('.').forEach((octet, i) => (record[12 + i] = Number(octet)));
  return Buffer.concat([header, question, record]);
}
