import { Bot, GrammyError, HttpError, InlineKeyboard, InputFile } from 'grammy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeTelegram } from './index.js';
import type { FakeChat, FakeTelegram, FakeTelegramOptions, FakeUser } from './index.js';

const ann: FakeUser = { id: 111222333, firstName: 'Ann', username: 'ann' };
const dm: FakeChat = { id: ann.id, type: 'private' };
const group: FakeChat = { id: -4001, type: 'group', title: 'Ops' };
const forum: FakeChat = { id: -1001234567890, type: 'supergroup', title: 'Ops', isForum: true };

let fake: FakeTelegram;
let bot: Bot;

async function setup(options: FakeTelegramOptions = {}): Promise<void> {
  fake = await startFakeTelegram(options);
  bot = new Bot(fake.token, { client: { apiRoot: fake.apiRoot } });
}

beforeEach(() => setup());
afterEach(() => fake.close());

async function apiError(promise: Promise<unknown>): Promise<GrammyError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(GrammyError);
  return error as GrammyError;
}

async function rawCall(
  method: string,
  init: RequestInit,
  query = '',
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${fake.apiRoot}/bot${fake.token}/${method}${query}`, init);
  return { status: res.status, body: await res.json() };
}

describe('transport', () => {
  it('answers getMe and rejects a wrong token or an unknown method with JSON errors', async () => {
    const me = await bot.api.getMe();
    expect(me).toMatchObject({ id: fake.botId, is_bot: true, username: fake.botUsername });

    const stranger = new Bot('999:wrong-token', { client: { apiRoot: fake.apiRoot } });
    const unauthorized = await apiError(stranger.api.getMe());
    expect(unauthorized.error_code).toBe(401);
    expect(unauthorized.description).toBe('Unauthorized');

    const unknown = await rawCall('sendTelepathy', { method: 'POST' });
    expect(unknown).toEqual({ status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } });
    expect(fake.violations).toEqual([{ method: 'sendTelepathy', problem: 'unknown Bot API method' }]);
  });

  it('accepts form bodies with JSON-serialised markup, query strings and case-insensitive names', async () => {
    const form = new URLSearchParams({
      chat_id: String(dm.id),
      text: 'from a form',
      reply_markup: JSON.stringify({ inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] }),
    });
    const sent = await rawCall('SENDMESSAGE', { method: 'POST', body: form });
    expect(sent.status).toBe(200);
    const viaQuery = await rawCall('sendMessage', { method: 'GET' }, `?chat_id=${dm.id}&text=from+a+query`);
    expect(viaQuery.status).toBe(200);

    expect(fake.messages(dm.id).map((m) => [m.text, m.replyMarkup])).toEqual([
      ['from a form', { inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] }],
      ['from a query', undefined],
    ]);
    expect(fake.calls.map((c) => c.method)).toEqual(['sendMessage', 'sendMessage']);
    fake.assertNoViolations();
  });
});

describe('sending and editing', () => {
  it('stores HTML messages with their options and shows what a person would read', async () => {
    fake.sendText({ chat: forum, from: ann, text: 'hello', threadId: 7 });
    const sent = await bot.api.sendMessage(forum.id, '<b>Deploy</b> &amp; <i>watch</i>', {
      parse_mode: 'HTML',
      message_thread_id: 7,
      reply_parameters: { message_id: 1 },
      disable_notification: true,
      link_preview_options: { is_disabled: true },
    });

    expect(sent).toMatchObject({
      message_id: 2,
      text: 'Deploy & watch',
      entities: [
        { type: 'bold', offset: 0, length: 6 },
        { type: 'italic', offset: 9, length: 5 },
      ],
      message_thread_id: 7,
      is_topic_message: true,
      reply_to_message: { message_id: 1, text: 'hello' },
      from: { id: fake.botId, is_bot: true },
    });
    expect(fake.messages(forum.id)).toEqual([
      expect.objectContaining({
        messageId: 2,
        threadId: 7,
        text: '<b>Deploy</b> &amp; <i>watch</i>',
        parseMode: 'HTML',
        replyTo: 1,
        disableNotification: true,
        linkPreviewOptions: { is_disabled: true },
        deleted: false,
      }),
    ]);
    expect(fake.lastText(forum.id)).toBe('Deploy & watch');
    fake.assertNoViolations();
  });

  it('edits text and keyboard, refuses identical edits and unknown or foreign messages', async () => {
    const keyboard = new InlineKeyboard().text('Approve', 'approve:42');
    const sent = await bot.api.sendMessage(dm.id, 'Deploy <b>staging</b>?', {
      parse_mode: 'HTML',
      reply_markup: keyboard,
    });

    const same = await apiError(
      bot.api.editMessageText(dm.id, sent.message_id, 'Deploy <b>staging</b>?', {
        parse_mode: 'HTML',
        reply_markup: keyboard,
      }),
    );
    expect(same.description).toBe(
      'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
    );

    const edited = await bot.api.editMessageText(dm.id, sent.message_id, 'Deploying <b>staging</b>…', {
      parse_mode: 'HTML',
    });
    expect(edited).toMatchObject({ text: 'Deploying staging…' });
    expect(edited).toHaveProperty('edit_date');
    expect(edited).not.toHaveProperty('reply_markup');

    await bot.api.editMessageReplyMarkup(dm.id, sent.message_id, {
      reply_markup: new InlineKeyboard().text('Cancel', 'cancel:42'),
    });
    const [message] = fake.messages(dm.id);
    expect(message?.history.map((v) => [v.text, v.replyMarkup?.inline_keyboard[0]?.[0]?.text])).toEqual([
      ['Deploy <b>staging</b>?', 'Approve'],
      ['Deploying <b>staging</b>…', undefined],
      ['Deploying <b>staging</b>…', 'Cancel'],
    ]);

    const missing = await apiError(bot.api.editMessageText(dm.id, 999, 'x'));
    expect(missing.description).toBe('Bad Request: message to edit not found');

    fake.sendText({ chat: dm, from: ann, text: 'mine' });
    const foreign = await apiError(bot.api.editMessageText(dm.id, 2, 'x'));
    expect(foreign.description).toBe("Bad Request: message can't be edited");

    expect(await bot.api.deleteMessage(dm.id, sent.message_id)).toBe(true);
    expect(fake.messages(dm.id)[0]?.deleted).toBe(true);
    expect(fake.lastText(dm.id)).toBeUndefined();
    const gone = await apiError(bot.api.deleteMessage(dm.id, sent.message_id));
    expect(gone.description).toBe('Bad Request: message to delete not found');
    fake.assertNoViolations();
  });

  it('uploads documents as multipart and lets the bot resend them by file_id', async () => {
    const report = new InputFile(Buffer.from('deploy log\n'.repeat(100)), 'deploy.log');
    const sent = await bot.api.sendDocument(group.id, report, {
      caption: 'Log of <code>staging</code>',
      parse_mode: 'HTML',
    });
    expect(sent.document).toMatchObject({ file_name: 'deploy.log', file_size: 1100 });
    expect(sent.caption).toBe('Log of staging');
    await bot.api.sendDocument(group.id, sent.document?.file_id ?? '');

    const content = 'deploy log\n'.repeat(100);
    expect(fake.messages(group.id).map((m) => m.document)).toEqual([
      { fileName: 'deploy.log', size: 1100, content },
      { fileName: 'deploy.log', size: 1100, content },
    ]);
    expect(fake.calls[0]?.params.document).toMatchObject({ fileName: 'deploy.log', size: 1100 });
    fake.assertNoViolations();
  });

  it('accepts chat actions and refuses thread 1 in a forum', async () => {
    fake.sendText({ chat: forum, from: ann, text: 'hi', threadId: 7 });
    expect(await bot.api.sendChatAction(forum.id, 'typing', { message_thread_id: 7 })).toBe(true);
    const general = await apiError(bot.api.sendMessage(forum.id, 'hi', { message_thread_id: 1 }));
    expect(general.description).toBe('Bad Request: message thread not found');
    expect(fake.violations).toEqual([
      expect.objectContaining({ method: 'sendMessage', field: 'message_thread_id' }),
    ]);
  });
});

describe('drafts', () => {
  it('shows the newest draft in a private chat until the bot sends a message there', async () => {
    fake.sendText({ chat: dm, from: ann, text: 'hi' });
    expect(await bot.api.sendMessageDraft(dm.id, 7, '<b>Thinking</b> about it', { parse_mode: 'HTML' })).toBe(
      true,
    );
    await bot.api.sendMessageDraft(dm.id, 7, 'Thinking about it, and more');
    expect(fake.currentDraft(dm.id)).toMatchObject({ draftId: 7, plainText: 'Thinking about it, and more' });
    expect(fake.drafts(dm.id).map((d) => d.plainText)).toEqual([
      'Thinking about it',
      'Thinking about it, and more',
    ]);
    await bot.api.sendMessage(dm.id, 'The answer');
    expect(fake.currentDraft(dm.id)).toBeUndefined();
    fake.assertNoViolations();
  });

  it('refuses drafts outside private chats, a zero draft_id, and more than five a second', async () => {
    expect((await apiError(bot.api.sendMessageDraft(group.id, 1, 'x'))).description).toBe(
      'Bad Request: TEXTDRAFT_PEER_INVALID',
    );
    expect((await apiError(bot.api.sendMessageDraft(dm.id, 0, 'x'))).error_code).toBe(400);
    for (let i = 0; i < 5; i++) await bot.api.sendMessageDraft(dm.id, 1, `draft ${i}`);
    const flooded = await apiError(bot.api.sendMessageDraft(dm.id, 1, 'one too many'));
    expect([flooded.error_code, flooded.parameters.retry_after]).toEqual([429, 1]);
    // Drafts do not spend the chat's message budget.
    await bot.api.sendMessage(dm.id, 'still fine');
  });
});

describe('spec and content violations', () => {
  it('records and rejects a missing chat_id', async () => {
    const res = await rawCall('sendMessage', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hello' }),
    });
    expect(res).toEqual({
      status: 400,
      body: { ok: false, error_code: 400, description: 'Bad Request: chat_id is empty' },
    });
    expect(fake.violations).toEqual([
      { method: 'sendMessage', field: 'chat_id', problem: 'required parameter is missing' },
    ]);
  });

  it('rejects callback_data over 64 bytes, counting UTF-8 bytes', async () => {
    const data = `approve:${'é'.repeat(28)}x`; // 8 + 56 + 1 = 65 bytes but only 37 characters
    const err = await apiError(
      bot.api.sendMessage(dm.id, 'pick', { reply_markup: new InlineKeyboard().text('Go', data) }),
    );
    expect(err.description).toBe('Bad Request: BUTTON_DATA_INVALID');
    expect(fake.violations[0]).toMatchObject({
      field: 'reply_markup.inline_keyboard[0][0].callback_data',
      problem: 'callback_data is 65 bytes (UTF-8); it must be 1-64',
    });
  });

  it('rejects malformed HTML, empty text and text too long after entity parsing', async () => {
    const html = await apiError(bot.api.sendMessage(dm.id, 'load < 5 <b>ok</b>', { parse_mode: 'HTML' }));
    expect(html.description).toBe(
      'Bad Request: can\'t parse entities: Unsupported start tag "" at byte offset 5',
    );

    const blank = await apiError(bot.api.sendMessage(dm.id, ' <b> </b>\n', { parse_mode: 'HTML' }));
    expect(blank.description).toBe('Bad Request: message text is empty');

    const visible = 'x'.repeat(4096);
    await bot.api.sendMessage(dm.id, `<b>${visible}</b>`, { parse_mode: 'HTML' });
    const tooLong = await apiError(bot.api.sendMessage(dm.id, `<b>${visible}y</b>`, { parse_mode: 'HTML' }));
    expect(tooLong.description).toBe('Bad Request: message is too long');

    expect(fake.violations.map((v) => v.field)).toEqual(['text', 'text', 'text']);
    expect(() => fake.assertNoViolations()).toThrow(/sendMessage text: malformed HTML/);
  });

  it('rejects a button with no action and a command with capitals', async () => {
    const res = await rawCall('sendMessage', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        chat_id: dm.id,
        text: 'x',
        reply_markup: { inline_keyboard: [[{ text: 'Dead' }]] },
      }),
    });
    expect(res.body).toMatchObject({
      description:
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
    });
    const command = await apiError(
      bot.api.setMyCommands([{ command: 'Deploy', description: 'Deploy a machine' }]),
    );
    expect(command.description).toBe('Bad Request: BOT_COMMAND_INVALID');
    expect(fake.violations).toHaveLength(2);
  });
});

describe('flood control', () => {
  it('answers 429 with retry_after after a burst and keeps refusing inside the window', async () => {
    for (let i = 0; i < 3; i++) await bot.api.sendMessage(dm.id, `line ${i}`);
    const err = await apiError(bot.api.sendMessage(dm.id, 'one too many'));
    expect(err.error_code).toBe(429);
    expect(err.description).toBe('Too Many Requests: retry after 1');
    expect(err.parameters.retry_after).toBe(1);

    const stillClosed = await apiError(bot.api.editMessageText(dm.id, 1, 'edited'));
    expect(stillClosed.error_code).toBe(429);
    await bot.api.sendMessage(group.id, 'other chats are unaffected');

    expect(fake.stats.tooManyRequests).toBe(2);
    expect(fake.stats.byChat.get(dm.id)).toEqual({ tooManyRequests: 2, sends: 3, edits: 0 });
    fake.assertNoViolations();
  });

  it('limits messages per minute in groups', async () => {
    await fake.close();
    await setup({ perChatBurst: 100, perChatPerSecond: 100, groupPerMinute: 2 });
    await bot.api.sendMessage(group.id, 'a');
    await bot.api.sendMessage(group.id, 'b');
    const err = await apiError(bot.api.sendMessage(group.id, 'c'));
    expect(err.parameters.retry_after).toBeGreaterThanOrEqual(59);
    expect(err.parameters.retry_after).toBeLessThanOrEqual(60);
  });
});

describe('updates', () => {
  it('long-polls an injected command with a bot_command entity and confirms it by offset', async () => {
    const poll = bot.api.getUpdates({ timeout: 5 });
    await fake.waitFor(() => fake.isPolling());
    const updateId = fake.sendText({
      chat: forum,
      from: ann,
      text: `/deploy@${fake.botUsername} staging`,
      threadId: 7,
    });

    const [update] = await poll;
    expect(update?.update_id).toBe(updateId);
    expect(update?.message).toMatchObject({
      text: `/deploy@${fake.botUsername} staging`,
      entities: [{ type: 'bot_command', offset: 0, length: 8 + fake.botUsername.length }],
      message_thread_id: 7,
      is_topic_message: true,
      chat: { id: forum.id, type: 'supergroup', is_forum: true },
      from: { id: ann.id, first_name: 'Ann' },
    });
    expect(await bot.api.getUpdates({ offset: updateId })).toHaveLength(1);
    expect(await bot.api.getUpdates({ offset: updateId + 1 })).toEqual([]);
  });

  it('answers the earlier of two concurrent getUpdates with 409', async () => {
    const first = bot.api.getUpdates({ timeout: 5 });
    await fake.waitFor(() => fake.isPolling());
    const second = bot.api.getUpdates({ timeout: 5 });

    const conflict = await apiError(first);
    expect(conflict.error_code).toBe(409);
    expect(conflict.description).toBe(
      'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
    );
    fake.sendText({ chat: dm, from: ann, text: 'hi' });
    expect(await second).toHaveLength(1);
  });

  it('refuses getUpdates while a webhook is set and honours allowed_updates', async () => {
    await bot.api.setWebhook('https://bot.example.com/hook');
    expect(await bot.api.getWebhookInfo()).toMatchObject({ url: 'https://bot.example.com/hook' });
    const conflict = await apiError(bot.api.getUpdates());
    expect(conflict.description).toBe(
      "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    );
    await bot.api.deleteWebhook();

    await bot.api.getUpdates({ allowed_updates: ['callback_query'] });
    fake.sendText({ chat: dm, from: ann, text: 'filtered out' });
    expect(await bot.api.getUpdates()).toEqual([]);
  });

  it('drives a real bot.start() loop: command in, reply out, button pressed and answered', async () => {
    bot.command('deploy', (ctx) =>
      ctx.reply(`Deploy <b>${ctx.match}</b>?`, {
        parse_mode: 'HTML',
        reply_markup: new InlineKeyboard().text('Yes', 'yes'),
      }),
    );
    bot.callbackQuery('yes', async (ctx) => {
      await ctx.answerCallbackQuery({ text: 'Deploying' });
      await ctx.editMessageText('Deploying…');
    });
    const running = bot.start();

    fake.sendText({ chat: dm, from: ann, text: '/deploy staging' });
    await fake.waitFor(() => fake.lastText(dm.id) === 'Deploy staging?');
    const prompt = fake.messages(dm.id)[0];
    const { callbackQueryId } = fake.pressButton({
      chat: dm,
      from: ann,
      messageId: prompt?.messageId ?? 0,
      data: 'yes',
    });
    await fake.waitFor(() => fake.lastText(dm.id) === 'Deploying…');

    await bot.stop();
    await running;
    expect(fake.callbackAnswers).toEqual([
      { callbackQueryId, text: 'Deploying', at: fake.callbackAnswers[0]?.at },
    ]);
    const again = await apiError(bot.api.answerCallbackQuery(callbackQueryId));
    expect(again.description).toBe(
      'Bad Request: query is too old and response timeout expired or query ID is invalid',
    );
    expect(fake.violations).toEqual([
      { method: 'answerCallbackQuery', field: 'callback_query_id', problem: 'callback query answered twice' },
    ]);
  });

  it('refuses answers to unknown or expired callback queries; only the unknown id is a violation', async () => {
    await fake.close();
    await setup({ callbackAnswerWindowMs: 0 });
    const sent = await bot.api.sendMessage(dm.id, 'pick', {
      reply_markup: new InlineKeyboard().text('Go', 'go'),
    });
    const { callbackQueryId } = fake.pressButton({
      chat: dm,
      from: ann,
      messageId: sent.message_id,
      data: 'go',
    });
    expect(() => fake.pressButton({ chat: dm, from: ann, messageId: sent.message_id, data: 'nope' })).toThrow(
      /never had a button/,
    );
    await new Promise((resolve) => setTimeout(resolve, 5));

    const expired = await apiError(bot.api.answerCallbackQuery(callbackQueryId));
    expect(expired.description).toMatch(/^Bad Request: query is too old/);
    const unknown = await apiError(bot.api.answerCallbackQuery('12345'));
    expect(unknown.description).toMatch(/^Bad Request: query is too old/);
    expect(fake.violations).toEqual([
      {
        method: 'answerCallbackQuery',
        field: 'callback_query_id',
        problem: 'no callback query with this id was sent',
      },
    ]);
  });

  it('ends a pending long poll promptly on close', async () => {
    const poll = bot.api.getUpdates({ timeout: 30 });
    await fake.waitFor(() => fake.isPolling());
    const started = Date.now();
    await fake.close();
    expect(await poll).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('chat fate and injected failures', () => {
  it('answers 400 with migrate_to_chat_id after a group upgrade and announces it in both chats', async () => {
    await bot.api.sendMessage(group.id, 'before');
    fake.migrateChat(group.id, -1009876543210);
    const err = await apiError(bot.api.sendMessage(group.id, 'after'));
    expect(err.description).toBe('Bad Request: group chat was upgraded to a supergroup chat');
    expect(err.parameters.migrate_to_chat_id).toBe(-1009876543210);

    const updates = await bot.api.getUpdates();
    expect(
      updates.map((u) => [
        u.message?.chat.id,
        u.message?.migrate_to_chat_id,
        u.message?.migrate_from_chat_id,
      ]),
    ).toEqual([
      [group.id, -1009876543210, undefined],
      [-1009876543210, undefined, group.id],
    ]);
    await bot.api.sendMessage(-1009876543210, 'after, in the supergroup');
  });

  it('answers 403 for a blocked private chat and a group the bot was kicked from', async () => {
    fake.blockChat(dm.id);
    fake.sendText({ chat: group, from: ann, text: 'hi' });
    fake.blockChat(group.id);
    expect((await apiError(bot.api.sendMessage(dm.id, 'x'))).description).toBe(
      'Forbidden: bot was blocked by the user',
    );
    expect((await apiError(bot.api.sendMessage(group.id, 'x'))).description).toBe(
      'Forbidden: bot was kicked from the group chat',
    );
    expect(fake.calls.map((c) => c.status)).toEqual([403, 403]);
  });

  it('injects errors, dropped connections and delays for a number of calls', async () => {
    fake.failNext('sendMessage', { status: 500, description: 'Internal Server Error: restart', times: 2 });
    fake.failNext('sendMessage', {
      status: 429,
      description: 'Too Many Requests: retry after 0',
      retryAfter: 0,
    });
    expect((await apiError(bot.api.sendMessage(dm.id, 'a'))).error_code).toBe(500);
    expect((await apiError(bot.api.sendMessage(dm.id, 'a'))).error_code).toBe(500);
    expect((await apiError(bot.api.sendMessage(dm.id, 'a'))).parameters.retry_after).toBe(0);
    await bot.api.sendMessage(dm.id, 'a');

    fake.failNext('getMe', { dropConnection: true });
    await expect(bot.api.getMe()).rejects.toBeInstanceOf(HttpError);

    fake.failNext('getMe', { delayMs: 150 });
    const started = Date.now();
    await bot.api.getMe();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(fake.stats.tooManyRequests).toBe(1);
    expect(() => fake.failNext('sendTelepathy', { dropConnection: true })).toThrow(/not a Bot API method/);
  });

  it('stores command lists per scope', async () => {
    await bot.api.setMyCommands([{ command: 'deploy', description: 'Deploy a machine' }]);
    await bot.api.setMyCommands([{ command: 'status', description: 'Show status' }], {
      scope: { type: 'chat', chat_id: group.id },
    });
    expect(fake.commands()).toEqual([{ command: 'deploy', description: 'Deploy a machine' }]);
    expect(fake.commands({ type: 'chat', chat_id: group.id })).toEqual([
      { command: 'status', description: 'Show status' },
    ]);
    expect(await bot.api.getMyCommands({ scope: { type: 'chat', chat_id: group.id } })).toHaveLength(1);
    await bot.api.deleteMyCommands();
    expect(fake.commands()).toEqual([]);
    fake.assertNoViolations();
  });
});
