/** One entry of a tar archive: a folder, or a file with its content. Names are relative, `/`-separated. */
export type TarEntry = {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  content?: Buffer;
};

const block = 512;

/** A header field as tar writes numbers: octal, zero-padded, NUL-terminated. */
const octal = (value: number, width: number): string => `${value.toString(8).padStart(width - 1, '0')}\0`;

function header(entry: TarEntry, size: number): Buffer {
  const name = entry.content === undefined ? `${entry.name.replace(/\/$/, '')}/` : entry.name;
  if (Buffer.byteLength(name) > 100) throw new Error(`a tar entry name over 100 bytes: ${name}`);
  const h = Buffer.alloc(block);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(entry.mode & 0o7777, 8), 100, 8, 'ascii');
  h.write(octal(entry.uid, 8), 108, 8, 'ascii');
  h.write(octal(entry.gid, 8), 116, 8, 'ascii');
  h.write(octal(size, 12), 124, 12, 'ascii');
  h.write(octal(0, 12), 136, 12, 'ascii');
  h.write(' '.repeat(8), 148, 8, 'ascii');
  h.write(entry.content === undefined ? '5' : '0', 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

/**
 * A ustar archive of `entries`, as the Engine's archive upload takes it: each entry keeps its owner
 * and mode, so files land in a volume owned by the agent's uid without a chown inside a container.
 */
export function tarball(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.content ?? Buffer.alloc(0);
    parts.push(
      header(entry, content.length),
      content,
      Buffer.alloc((block - (content.length % block)) % block),
    );
  }
  parts.push(Buffer.alloc(2 * block));
  return Buffer.concat(parts);
}
