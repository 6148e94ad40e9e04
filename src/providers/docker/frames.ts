/**
 * The Engine's multiplexed stream (logs and attached exec without a TTY): frames of an 8-byte header
 * (stream: 0 stdin, 1 stdout, 2 stderr; three zero bytes; a big-endian length) and the payload.
 */
export type Frame = { stream: 'stdout' | 'stderr'; payload: Buffer };

const headerBytes = 8;

/**
 * Splits frames out of chunks as they arrive; keeps a partial frame until the rest comes. A frame
 * larger than `maxFrameBytes` means the stream is not what it claims (or a hostile peer): it throws.
 */
export function frameReader(maxFrameBytes: number) {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk: Buffer): Frame[] => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const frames: Frame[] = [];
    while (pending.length >= headerBytes) {
      const size = pending.readUInt32BE(4);
      if (size > maxFrameBytes)
        throw new Error(`a stream frame of ${size} bytes is over the ${maxFrameBytes}-byte cap`);
      if (pending.length < headerBytes + size) break;
      const kind = pending[0];
      const payload = pending.subarray(headerBytes, headerBytes + size);
      // Stdin echoes (0) and unknown kinds carry nothing a reader here wants.
      if (kind === 1 || kind === 2) frames.push({ stream: kind === 1 ? 'stdout' : 'stderr', payload });
      pending = pending.subarray(headerBytes + size);
    }
    return frames;
  };
}
