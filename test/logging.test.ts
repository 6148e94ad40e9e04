import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/core/runtime/logging.js';

describe('logging', () => {
  it('redacts secret fields at any depth the bot logs them', () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        out += chunk.toString();
        done();
      },
    });
    const log = createLogger({ level: 'info', pretty: false, destination: sink }).child({ jobId: 7 });
    log.info(
      {
        token: 'tg-123:SECRET',
        request: { headers: { authorization: 'Bearer SECRET2' } },
        cfg: { apiKey: 'SECRET3' },
      },
      'calling',
    );
    const line = JSON.parse(out) as Record<string, unknown>;
    expect(out).not.toMatch(/SECRET/);
    expect(line).toMatchObject({
      jobId: 7,
      token: '[redacted]',
      cfg: { apiKey: '[redacted]' },
      msg: 'calling',
    });
  });
});
