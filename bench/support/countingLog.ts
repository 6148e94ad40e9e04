import { Writable } from 'node:stream';
import { pino } from 'pino';

/** A logger that keeps nothing but counts log lines matching a pattern (say SQLITE_BUSY). */
export function countingLog(pattern: RegExp) {
  let count = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (pattern.test(chunk.toString('utf8'))) count++;
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), count: () => count };
}
