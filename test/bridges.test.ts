import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/index.js';
import { createBridges } from '../src/main.js';
import { silentLog } from './support/env.js';

const io = (tty: boolean) => ({
  log: silentLog,
  stdin: Object.assign(new PassThrough(), { isTTY: tty }),
  stdout: new PassThrough(),
  onFatal: () => undefined,
});
const platforms = (env: Record<string, string>, tty: boolean): string[] =>
  createBridges(parseConfig(env), io(tty)).bridges.map((b) => b.platform);

describe('which bridges run', () => {
  const telegram = { TELEGRAM_BOT_TOKEN: '123:abc', TELEGRAM_API_ROOT: 'http://127.0.0.1:9' };

  it('uses the console when nothing else is configured, even on a pipe', () => {
    expect(platforms({}, false)).toEqual(['console']);
  });

  it('leaves stdin alone when running as a service with a chat platform', () => {
    expect(platforms(telegram, false)).toEqual(['telegram']);
  });

  it('adds the console for a person at a terminal, unless switched off', () => {
    expect(platforms(telegram, true)).toEqual(['telegram', 'console']);
    expect(platforms({ ...telegram, FLEETBOT_CONSOLE: 'off' }, true)).toEqual(['telegram']);
    expect(platforms({ ...telegram, FLEETBOT_CONSOLE: 'on' }, false)).toEqual(['telegram', 'console']);
  });

  it('refuses webhook mode without its secret and port, naming both', () => {
    expect(() => parseConfig({ ...telegram, TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/tg' })).toThrow(
      /TELEGRAM_WEBHOOK_URL: webhook mode needs TELEGRAM_WEBHOOK_SECRET[^\n]*\nTELEGRAM_WEBHOOK_URL: webhook mode needs FLEETBOT_HTTP_PORT/,
    );
    expect(() => parseConfig({ ...telegram, TELEGRAM_WEBHOOK_URL: 'http://bot.example.com/tg' })).toThrow(
      /must be the public https URL/,
    );
  });

  it('never echoes a token back in a configuration error', () => {
    expect(() => parseConfig({ TELEGRAM_BOT_TOKEN: 'not a token but secret' })).toThrow(
      /^TELEGRAM_BOT_TOKEN: a bot token from @BotFather looks like 123456789:AAE\.\.\.; example/,
    );
    try {
      parseConfig({ TELEGRAM_BOT_TOKEN: 'not a token but secret' });
    } catch (err) {
      expect((err as Error).message).not.toContain('secret');
    }
  });
});
