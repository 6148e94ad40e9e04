import { describe, expect, it } from 'vitest';
import { decodeEvent } from '../src/bridges/slack/inbound.js';
import { decodeUpdate } from '../src/bridges/telegram/inbound.js';
import { userMessage } from './fakes/slack/index.js';

const at = new Date(0);
const bot = { id: 4242, is_bot: true, first_name: 'fleetbot' };
const ann = { id: 1001, is_bot: false, first_name: 'Ann', username: 'ann' };
const bob = { id: 1002, is_bot: false, first_name: 'Bob' };
const dm = { id: 1001, type: 'private' };
const group = { id: -1001234, type: 'supergroup' };

const telegramText = (chat: object, text: string, extra: object = {}) =>
  decodeUpdate(
    { update_id: 1, message: { message_id: 77, date: 0, chat, from: ann, text, ...extra } },
    at,
    bot.id,
  );

describe('plain messages from Telegram', () => {
  it('are messages in a private chat, with their own ref, and a reply to the bot names the answer', () => {
    expect(telegramText(dm, 'hello')).toMatchObject({
      inbound: { kind: 'message', direct: true, text: 'hello', message: { messageId: '77' } },
    });
    expect(telegramText(dm, 'hello')).not.toHaveProperty('inbound.replyTo');
    expect(
      telegramText(dm, 'more please', { reply_to_message: { message_id: 70, from: bot } }),
    ).toMatchObject({
      inbound: { kind: 'message', replyTo: { chat: { chatId: '1001' }, messageId: '70' } },
    });
  });

  it('in a group count only as replies to the bot; commands stay commands', () => {
    expect(
      telegramText(group, 'and the tests?', { reply_to_message: { message_id: 70, from: bot } }),
    ).toMatchObject({ inbound: { kind: 'message', direct: false, replyTo: { messageId: '70' } } });
    expect(telegramText(group, 'I agree', { reply_to_message: { message_id: 71, from: bob } })).toEqual({
      kind: 'ignored',
      reason: 'group chatter',
    });
    expect(telegramText(group, 'just chatting')).toEqual({ kind: 'ignored', reason: 'group chatter' });
    expect(
      telegramText(group, '/status alice', { entities: [{ type: 'bot_command', offset: 0, length: 7 }] }),
    ).toMatchObject({ inbound: { kind: 'command', text: '/status alice' } });
  });
});

describe('plain messages from Slack', () => {
  const decode = (p: Parameters<typeof userMessage>[0]) =>
    decodeEvent(userMessage(p).payload, 'U0BOT', at, ['status', 'whoami']);
  const user = { id: 'UANN', name: 'ann' };

  it('in the DM: a command by its name or slash, anything else a message', () => {
    expect(decode({ user, channel: 'DANN', text: 'whoami' })).toMatchObject({
      inbound: { kind: 'command', text: '/whoami' },
    });
    expect(decode({ user, channel: 'DANN', text: '/status bob' })).toMatchObject({
      inbound: { kind: 'command' },
    });
    const plain = decode({ user, channel: 'DANN', text: 'what is &lt;this&gt;?' });
    expect(plain).toMatchObject({ inbound: { kind: 'message', direct: true, text: 'what is <this>?' } });
    expect(plain).not.toHaveProperty('inbound.replyTo');
  });

  it('in a thread: a message whose chat is the thread and which answers its root', () => {
    expect(decode({ user, channel: 'COPS', text: 'status please', threadTs: '1.000001' })).toMatchObject({
      inbound: {
        kind: 'message',
        chat: { chatId: 'COPS', threadId: '1.000001' },
        replyTo: { messageId: '1.000001' },
      },
    });
  });

  it('never a mention twice: the message event of a mention is left to app_mention', () => {
    expect(decode({ user, channel: 'COPS', text: '<@U0BOT> status' })).toEqual({
      kind: 'ignored',
      reason: 'mention, seen as app_mention',
    });
  });
});
