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

describe('log redaction', () => {
  const capture = () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    return { sink, text: () => lines.join('') };
  };

  it('censors secret-named fields however deep, in arrays and in errors', () => {
    const out = capture();
    const log = createLogger({ level: 'info', pretty: false, destination: out.sink });
    const failure = Object.assign(new Error('request failed'), {
      config: { headers: { Authorization: 'Bearer DEEP-ERROR-SECRET' } },
    });
    log.info(
      {
        job: { step: { request: { options: { headers: { authorization: 'Bearer DEEP-SECRET-1' } } } } },
        servers: [{ labels: { botToken: 'DEEP-SECRET-2' } }],
        err: failure,
      },
      'deep',
    );
    expect(out.text()).not.toMatch(/DEEP-SECRET|DEEP-ERROR-SECRET/);
    expect(JSON.parse(out.text())).toMatchObject({
      job: { step: { request: { options: { headers: { authorization: '[redacted]' } } } } },
      servers: [{ labels: { botToken: '[redacted]' } }],
      err: { message: 'request failed', config: { headers: { Authorization: '[redacted]' } } },
    });
  });

  it("censors fleetbot's own secret values wherever they appear, messages and URLs included", () => {
    const out = capture();
    const log = createLogger({
      level: 'info',
      pretty: false,
      destination: out.sink,
      secrets: ['123456:AA-telegram-token', 'short'],
    });
    log.warn(
      { url: 'https://api.telegram.org/bot123456:AA-telegram-token/getMe' },
      'call with 123456:AA-telegram-token failed',
    );
    expect(out.text()).not.toContain('123456:AA-telegram-token');
    expect(JSON.parse(out.text())).toMatchObject({
      url: 'https://api.telegram.org/bot[redacted]/getMe',
      msg: 'call with [redacted] failed',
    });
  });

  it('censors anything shaped like an API key, though fleetbot knows no key by value', () => {
    const out = capture();
    const log = createLogger({ level: 'info', pretty: false, destination: out.sink });
    const key = `fbk_${'A1_-'.repeat(10)}xyz`;
    log.warn({ path: `/v1/agents?token=${key}` }, `a program sent ${key} in its body`);
    expect(out.text()).not.toContain(key);
    expect(JSON.parse(out.text())).toMatchObject({
      path: '/v1/agents?token=[redacted]',
      msg: 'a program sent [redacted] in its body',
    });
  });
});
