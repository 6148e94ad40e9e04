import { describe, expect, it } from 'vitest';
import { botCommandEntities } from './bot-commands.js';
import { FloodControl } from './flood.js';
import { parseMultipart } from './multipart.js';
import { findMethod } from './spec.js';
import type { SpecMethod } from './spec.js';
import { validateParams } from './spec-validate.js';

function method(name: string): SpecMethod {
  const found = findMethod(name);
  if (found === undefined) throw new Error(`no ${name} in the spec`);
  return found;
}

describe('botCommandEntities', () => {
  it('finds commands at the start, with a bot name, and later in the text', () => {
    expect(botCommandEntities('/deploy@ops_bot staging and /status')).toEqual([
      { type: 'bot_command', offset: 0, length: 15 },
      { type: 'bot_command', offset: 28, length: 7 },
    ]);
  });

  it('ignores slashes inside words, paths and too-short bot names', () => {
    expect(botCommandEntities('a/b /usr/bin x/y /cmd@ab')).toEqual([]);
  });
});

describe('FloodControl', () => {
  it('allows a burst, then refuses with retry_after and keeps the chat closed for that long', () => {
    const flood = new FloodControl({ perChatPerSecond: 1, perChatBurst: 3, groupPerMinute: 20 });
    expect([0, 0, 0].map((_, i) => flood.take(5, false, 1000 + i))).toEqual([0, 0, 0]);
    expect(flood.take(5, false, 1010)).toBe(1);
    expect(flood.take(5, false, 1500)).toBe(1);
    expect(flood.take(6, false, 1500)).toBe(0);
    expect(flood.take(5, false, 2100)).toBe(0);
  });

  it('limits groups per sliding minute', () => {
    const flood = new FloodControl({ perChatPerSecond: 100, perChatBurst: 100, groupPerMinute: 2 });
    expect(flood.take(-7, true, 0)).toBe(0);
    expect(flood.take(-7, true, 10_000)).toBe(0);
    expect(flood.take(-7, true, 20_000)).toBe(40);
    expect(flood.take(-7, true, 60_001)).toBe(0);
  });
});

describe('parseMultipart', () => {
  it("reads grammY's unspaced, unquoted framing", () => {
    const body = Buffer.from(
      '--XYZ\r\ncontent-disposition:form-data;name="chat_id"\r\n\r\n42\r\n' +
        '--XYZ\r\ncontent-disposition:form-data;name="document"\r\n\r\nattach://abc\r\n' +
        '--XYZ\r\ncontent-disposition:form-data;name="abc";filename=report final.txt\r\ncontent-type:application/octet-stream\r\n\r\nhello\r\n' +
        '--XYZ--\r\n',
    );
    const parsed = parseMultipart(body, 'XYZ');
    expect(Object.fromEntries(parsed.fields)).toEqual({ chat_id: '42', document: 'attach://abc' });
    expect(parsed.files.get('abc')).toEqual({
      kind: 'uploaded-file',
      fileName: 'report final.txt',
      size: 5,
      contentType: 'application/octet-stream',
      content: Buffer.from('hello'),
    });
  });
});

describe('validateParams', () => {
  it('coerces form strings and decodes JSON-serialised objects', () => {
    const { params, issues } = validateParams(
      method('sendMessage'),
      {
        chat_id: '-100123',
        text: 'hi',
        disable_notification: 'true',
        reply_markup: '{"inline_keyboard":[[{"text":"Go","callback_data":"go"}]]}',
      },
      new Map(),
    );
    expect(issues).toEqual([]);
    expect(params).toEqual({
      chat_id: -100123,
      text: 'hi',
      disable_notification: true,
      reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] },
    });
  });

  it('reports missing, mistyped and unknown fields with Telegram-style descriptions', () => {
    const { issues } = validateParams(
      method('sendMessage'),
      { text: 'hi', parse_mode: 'HTML', replyMarkup: {}, reply_parameters: { message_id: 'x' } },
      new Map(),
    );
    expect(issues).toEqual([
      expect.objectContaining({
        field: 'chat_id',
        description: 'Bad Request: chat_id is empty',
        fatal: true,
      }),
      expect.objectContaining({
        field: 'reply_parameters.message_id',
        description: 'Bad Request: can\'t parse reply_parameters: Field "message_id" must be of type Integer',
        fatal: true,
      }),
      expect.objectContaining({ field: 'replyMarkup', fatal: false }),
    ]);
  });

  it('picks the subtype named by the discriminator', () => {
    const ok = validateParams(
      method('setMyCommands'),
      { commands: [{ command: 'a', description: 'b' }], scope: { type: 'chat', chat_id: 5 } },
      new Map(),
    );
    expect(ok.issues).toEqual([]);
    const bad = validateParams(
      method('setMyCommands'),
      { commands: [{ command: 'a', description: 'b' }], scope: { type: 'chats', chat_id: 5 } },
      new Map(),
    );
    expect(bad.issues.some((i) => i.fatal && i.field === 'scope.type')).toBe(true);
  });
});
