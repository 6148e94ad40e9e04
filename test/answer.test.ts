import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createConsoleBridge } from '../src/bridges/console/index.js';
import { createAnswer, type Answer } from '../src/core/chat/answer.js';
import { createMessenger } from '../src/core/chat/messenger.js';
import { message } from '../src/core/chat/outbound.js';
import type { Bridge, Inbound, MessageRef } from '../src/core/chat/types.js';
import { systemClock } from '../src/core/runtime/clock.js';
import { startFakeSlack, type FakeSlack } from './fakes/slack/index.js';
import { startFakeTelegram, type FakeTelegram } from './fakes/telegram/index.js';
import { parseConsoleOutput } from './support/consoleSession.js';
import { silentLog } from './support/env.js';
import { memoryHost } from './support/memoryHost.js';
import { ann as slackAnn, ops, socketSlackBridge } from './support/slackSession.js';
import { ann, annDm, fakeTelegramBridge } from './support/telegramSession.js';

/** An answer of `chars` characters in paragraphs, as an agent writes prose. */
function prose(chars: number): string {
  const paragraphs: string[] = [];
  for (let i = 0; paragraphs.join('\n\n').length < chars; i++)
    paragraphs.push(
      `Paragraph ${i}: ${'the agent explains its work step by step '.repeat(3 + (i % 5))}`.trim(),
    );
  return paragraphs.join('\n\n').slice(0, chars);
}

/** The answer arrives in pieces, as an agent streams it, spread over about `overMs`. */
async function streamInto(answer: Answer, text: string, pieces: number, overMs: number): Promise<void> {
  const size = Math.ceil(text.length / pieces);
  for (let at = 0; at < text.length; at += size) {
    answer.append(text.slice(at, at + size));
    await new Promise((resolve) => setTimeout(resolve, overMs / pieces));
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function telegram(): Promise<{ fake: FakeTelegram; bridge: Bridge; received: Inbound[] }> {
  // Telegram's own limits: a message a second per chat, 20 a minute in a group, drafts 5 a second.
  const fake = await startFakeTelegram();
  const bridge = fakeTelegramBridge(fake, {
    onFatal: (err) => {
      throw err;
    },
    pollTimeoutSeconds: 1,
  });
  const received: Inbound[] = [];
  await bridge.start(async (inbound) => void received.push(inbound), memoryHost().host);
  cleanups.push(async () => {
    await bridge.stop();
    await fake.close();
  });
  return { fake, bridge, received };
}

const answerIn = (bridge: Bridge, inbound: Extract<Inbound, { kind: 'message' }>) =>
  createAnswer({
    messenger: createMessenger([bridge]),
    chat: inbound.chat,
    direct: inbound.direct,
    replyTo: inbound.message,
    recipient: inbound.user,
    clock: systemClock,
    log: silentLog,
  });

async function until<T>(find: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const plainMessage = (received: Inbound[], index: number) =>
  until(() => {
    const inbound = received[index];
    return inbound?.kind === 'message' ? inbound : undefined;
  }, 'a plain message to arrive');

describe('an answer in a Telegram private chat', () => {
  it('grows as a draft and ends as one real message that holds it all, replying to the prompt', async () => {
    const { fake, bridge, received } = await telegram();
    fake.sendText({ chat: annDm, from: ann, text: 'what changed in the repo?' });
    const prompt = await plainMessage(received, 0);
    expect(prompt).toMatchObject({ direct: true, text: 'what changed in the repo?' });
    const text = prose(2500);
    const answer = answerIn(bridge, prompt);
    await streamInto(answer, text, 40, 2000);
    const refs = await answer.finish('✅ 3 steps · 2 s');

    const drafts = fake.drafts(annDm.id);
    expect(drafts.length).toBeGreaterThanOrEqual(3);
    // Each draft shows a beginning of the answer, growing; the person never saw a wrong word.
    for (const [i, draft] of drafts.entries()) {
      expect(text.startsWith(draft.plainText)).toBe(true);
      if (i > 0) expect(draft.plainText.length).toBeGreaterThanOrEqual(drafts[i - 1]!.plainText.length);
    }
    const [final] = fake.messages(annDm.id);
    expect(refs.map((r) => [r.chat.chatId, r.messageId])).toEqual([
      [String(annDm.id), String(final!.messageId)],
    ]);
    expect(final!.plainText).toBe(`${text}\n✅ 3 steps · 2 s`);
    expect(final!.replyTo).toBe(Number(prompt.message.messageId));
    expect(final!.disableNotification).toBeUndefined();
    expect(fake.currentDraft(annDm.id)).toBeUndefined();
    expect(fake.stats.tooManyRequests).toBe(0);
    fake.assertNoViolations();
  });

  it('turns the draft into a message when buttons are needed, and edits that message from then on', async () => {
    const { fake, bridge, received } = await telegram();
    fake.sendText({ chat: annDm, from: ann, text: 'clean up the repo' });
    const answer = answerIn(bridge, await plainMessage(received, 0));
    const text = prose(1200);
    await streamInto(answer, text.slice(0, 400), 4, 500);
    // Telegram is slow to turn the draft into a message; the agent writes on meanwhile.
    fake.failNext('sendMessage', { delayMs: 300 });
    answer.buttons([
      [
        { id: 'allow-1', label: 'Allow once' },
        { id: 'reject-1', label: 'Reject' },
      ],
    ]);
    answer.append(text.slice(400, 500));
    await fake.waitFor(() => fake.messages(annDm.id).length === 1);
    const [card] = fake.messages(annDm.id);
    expect(card!.replyMarkup?.inline_keyboard.flat().map((b) => b.text)).toEqual(['Allow once', 'Reject']);
    expect(card!.disableNotification).toBeUndefined();
    answer.buttons(undefined);
    await streamInto(answer, text.slice(500), 5, 1200);
    const refs = await answer.finish();

    expect(refs.map((r) => r.messageId)).toEqual([String(card!.messageId)]);
    expect(fake.messages(annDm.id)).toHaveLength(1);
    expect(card!.plainText).toBe(text);
    expect(card!.replyMarkup?.inline_keyboard ?? []).toEqual([]);
    // The drafts came about four a second, never faster than Telegram takes them.
    const draftTimes = fake.drafts(annDm.id).map((d) => d.at);
    expect(Math.min(...draftTimes.slice(1).map((at, i) => at - draftTimes[i]!))).toBeGreaterThanOrEqual(200);
    expect(fake.stats.tooManyRequests).toBe(0);
    fake.assertNoViolations();
  });

  it('sends a 20,000-character answer as answer.md with its first lines inline', async () => {
    const { fake, bridge, received } = await telegram();
    fake.sendText({ chat: annDm, from: ann, text: 'explain everything' });
    const answer = answerIn(bridge, await plainMessage(received, 0));
    const text = prose(20_000);
    await streamInto(answer, text, 50, 1500);
    await answer.finish();

    const [inline, document] = fake.messages(annDm.id);
    expect(inline!.plainText).toMatch(/^Paragraph 0: the agent explains/);
    expect(inline!.plainText).toContain('… the whole answer (20,000 characters) is in answer.md');
    expect(inline!.disableNotification).toBe(true);
    expect(document!.document).toMatchObject({ fileName: 'answer.md', content: text });
    expect(fake.messages(annDm.id)).toHaveLength(2);
    expect(fake.stats.tooManyRequests).toBe(0);
    fake.assertNoViolations();
  });
});

describe('an answer in a Telegram group', () => {
  const group = { id: -1001234567890, type: 'supergroup' as const, title: 'ops' };

  /** Ann replies in the group to a message of the bot's, which is how a conversation continues there. */
  async function replyInGroup(fake: FakeTelegram, bridge: Bridge, received: Inbound[]) {
    const earlier = await bridge.send(
      { platform: 'telegram', chatId: String(group.id) },
      message('Earlier answer'),
    );
    fake.sendText({ chat: group, from: ann, text: 'and the tests?', replyTo: Number(earlier.messageId) });
    fake.sendText({ chat: group, from: ann, text: 'chatter nobody asked the bot about' });
    const inbound = await plainMessage(received, 0);
    expect(inbound).toMatchObject({ direct: false, replyTo: { messageId: earlier.messageId } });
    return inbound;
  }

  it('edits one message at most once a second, with its status line, and ends with everything', async () => {
    const { fake, bridge, received } = await telegram();
    const answer = answerIn(bridge, await replyInGroup(fake, bridge, received));
    answer.status(['⚙️ 1 step · running npm test · 1 s']);
    const text = prose(3000);
    await streamInto(answer, text, 30, 3000);
    await answer.finish('✅ 1 step · 3 s');

    expect(received).toHaveLength(1);
    expect(fake.drafts(group.id)).toEqual([]);
    const [, answered] = fake.messages(group.id);
    expect(answered!.history.length).toBeGreaterThanOrEqual(3);
    expect(answered!.history.some((v) => v.text.includes('running npm test'))).toBe(true);
    const gaps = answered!.history.slice(1).map((v, i) => v.at - answered!.history[i]!.at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(900);
    expect(answered!.plainText).toBe(`${text}\n✅ 1 step · 3 s`);
    expect(fake.messages(group.id)).toHaveLength(2);
    expect(fake.stats.tooManyRequests).toBe(0);
    fake.assertNoViolations();
  });

  it('loses nothing to a flood wait in the middle of the answer', async () => {
    const { fake, bridge, received } = await telegram();
    const answer = answerIn(bridge, await replyInGroup(fake, bridge, received));
    const text = prose(2000);
    await streamInto(answer, text.slice(0, 800), 8, 1200);
    fake.failNext('editMessageText', {
      status: 429,
      description: 'Too Many Requests: retry after 2',
      retryAfter: 2,
    });
    await streamInto(answer, text.slice(800), 12, 1500);
    await answer.finish();

    expect(fake.stats.tooManyRequests).toBe(1);
    expect(fake.messages(group.id).map((m) => m.plainText)).toEqual(['Earlier answer', text]);
    fake.assertNoViolations();
  });

  it('loses nothing and repeats nothing when an edit fails, and says why a turn failed', async () => {
    const { fake, bridge, received } = await telegram();
    const answer = answerIn(bridge, await replyInGroup(fake, bridge, received));
    const text = prose(1500);
    await streamInto(answer, text.slice(0, 700), 5, 1200);
    fake.failNext('editMessageText', { status: 500, description: 'Internal Server Error' });
    await streamInto(answer, text.slice(700), 5, 800);
    await answer.fail('the agent stopped answering');

    expect(fake.messages(group.id).map((m) => m.plainText)).toEqual([
      'Earlier answer',
      `${text}\n⚠️ the agent stopped answering`,
    ]);
    expect(fake.stats.tooManyRequests).toBe(0);
    fake.assertNoViolations();
  });
});

describe('an answer in a Slack channel', () => {
  let fake: FakeSlack;
  async function slack() {
    fake = await startFakeSlack();
    const bridge = socketSlackBridge(fake, { paceMs: 300 });
    const received: Inbound[] = [];
    await bridge.start(async (inbound) => void received.push(inbound), memoryHost().host);
    cleanups.push(async () => {
      await bridge.stop();
      await fake.close();
    });
    return { bridge, received };
  }

  it('streams into a thread addressed to the asker and ends with the whole text', async () => {
    const { bridge, received } = await slack();
    fake.say({ user: slackAnn, channel: ops, text: 'why is the deploy slow?' });
    const prompt = await plainMessage(received, 0);
    expect(prompt).toMatchObject({ direct: false, chat: { chatId: ops } });
    const answer = answerIn(bridge, prompt);
    const text = prose(4000);
    fake.failNext('chat.appendStream', { status: 429, retryAfter: 1 });
    await streamInto(answer, text, 30, 2000);
    await answer.finish('✅ done');

    const [streamed] = fake.messages(ops);
    expect(streamed!.threadTs).toBe(prompt.message.messageId);
    expect(streamed!.stream).toEqual({ streaming: false, recipient: slackAnn.id });
    expect(streamed!.history.length).toBeGreaterThan(2);
    expect(streamed!.shown).toBe(`${text}\n✅ done`);
    // A 429 on the way was waited out and the newest text sent after it.
    expect(fake.calls.filter((c) => c.method === 'chat.appendStream' && c.status === 429)).toHaveLength(1);
    const started = fake.calls.find((c) => c.method === 'chat.startStream')!;
    expect(started.args).toMatchObject({ recipient_user_id: slackAnn.id, recipient_team_id: 'T0FLEET' });
    fake.assertNoViolations();
  });

  it('answers a thread reply in that thread, and splits 20,000 characters into two messages', async () => {
    const { bridge, received } = await slack();
    fake.say({ user: slackAnn, channel: ops, text: 'follow-up', threadTs: '1767225600.000001' });
    fake.event({
      type: 'message',
      subtype: 'channel_join',
      user: 'UBOB',
      channel: ops,
      ts: '1.2',
      text: 'joined',
    });
    fake.event({ type: 'message', subtype: 'message_changed', channel: ops, ts: '1.3' });
    fake.event({ type: 'message', bot_id: 'B0OTHER', user: 'UOTHER', channel: ops, ts: '1.4', text: 'beep' });
    const prompt = await plainMessage(received, 0);
    expect(prompt).toMatchObject({
      chat: { chatId: ops, threadId: '1767225600.000001' },
      replyTo: { messageId: '1767225600.000001' },
    });
    const answer = answerIn(bridge, prompt);
    const text = prose(20_000);
    await streamInto(answer, text, 40, 2000);
    const refs = await answer.finish();
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(received).toHaveLength(1);
    const shown = fake.messages(ops);
    expect(shown.map((m) => m.threadTs)).toEqual(['1767225600.000001', '1767225600.000001']);
    expect(refs.map((r: MessageRef) => r.messageId)).toEqual(shown.map((m) => m.ts));
    expect(shown.map((m) => m.shown).join('\n\n')).toBe(text);
    fake.assertNoViolations();
  });
});

describe('a document', () => {
  it('goes to Slack as a caption message with the file under it, in the thread it answers', async () => {
    const fake = await startFakeSlack();
    const bridge = socketSlackBridge(fake);
    await bridge.start(async () => undefined, memoryHost().host);
    cleanups.push(async () => {
      await bridge.stop();
      await fake.close();
    });
    const prompt: MessageRef = { chat: { platform: 'slack', chatId: ops }, messageId: '1767225600.000009' };
    const content = prose(30_000);
    const ref = await createMessenger([bridge]).sendDocument(
      prompt.chat,
      { name: 'answer.md', content, caption: message('The whole answer') },
      { replyTo: prompt },
    );

    const [caption] = fake.messages(ops);
    expect(caption).toMatchObject({
      ts: ref.messageId,
      threadTs: prompt.messageId,
      shown: 'The whole answer',
    });
    expect(fake.files).toEqual([
      expect.objectContaining({
        filename: 'answer.md',
        title: 'answer.md',
        channel: ops,
        threadTs: prompt.messageId,
        content,
      }),
    ]);
    fake.assertNoViolations();
  });

  it('prints on the console under its caption', async () => {
    const output = new PassThrough();
    let printed = '';
    output.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
    const bridge = createConsoleBridge({ input: new PassThrough(), output, tty: false });
    await createMessenger([bridge]).sendDocument(
      { platform: 'console', chatId: 'local' },
      { name: 'answer.md', content: 'line one\nline two', caption: message('The whole answer') },
    );
    expect(parseConsoleOutput(printed).map((m) => m.versions)).toEqual([
      ['The whole answer\n📎 answer.md\nline one\nline two'],
    ]);
  });
});

describe('an answer on the console', () => {
  it('prints the deltas as they come, then the final message', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    output.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
    const bridge = createConsoleBridge({ input, output, tty: false });
    const received: Inbound[] = [];
    await bridge.start(async (inbound) => void received.push(inbound), memoryHost().host);
    input.write('what is running?\n');
    const prompt = await plainMessage(received, 0);
    const answer = answerIn(bridge, prompt);
    answer.append('alice is ');
    await until(() => (printed.includes('alice is ') ? true : undefined), 'the first delta');
    answer.append('running\n\nand healthy');
    await answer.finish('✅ done');
    await bridge.stop();

    expect(printed).toContain('alice is running\n\nand healthy\n');
    expect(parseConsoleOutput(printed).map((m) => m.versions.at(-1))).toEqual([
      'alice is running\n\nand healthy\n✅ done',
    ]);
  });
});
