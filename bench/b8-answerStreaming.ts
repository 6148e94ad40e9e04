import { PassThrough } from 'node:stream';
import { createConsoleBridge } from '../src/bridges/console/index.js';
import { createAnswer } from '../src/core/chat/answer.js';
import { createMessenger } from '../src/core/chat/messenger.js';
import type { ChatRef, UserRef } from '../src/core/chat/types.js';
import { systemClock } from '../src/core/runtime/clock.js';
import { startFakeTelegram, type FakeChat, type FakeTelegram } from '../test/fakes/telegram/index.js';
import { silentLog } from '../test/support/env.js';
import { memoryHost } from '../test/support/memoryHost.js';
import { ann, annDm, fakeTelegramBridge } from '../test/support/telegramSession.js';
import type { Benchmark } from './row.js';
import { percentile } from './stats.js';

const group: FakeChat = { id: -800, type: 'group', title: 'Bench' };
const asker: UserRef = { platform: 'telegram', userId: String(ann.id) };
const chatOf = (chat: FakeChat): ChatRef => ({ platform: 'telegram', chatId: String(chat.id) });
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The real Telegram bridge at its own default pace, against the fake at Telegram's own flood limits. */
async function telegram(): Promise<{
  fake: FakeTelegram;
  messenger: ReturnType<typeof createMessenger>;
  stop(): Promise<void>;
}> {
  const fake = await startFakeTelegram();
  const bridge = fakeTelegramBridge(fake, {
    onFatal: (err) => {
      throw err;
    },
    pollTimeoutSeconds: 1,
  });
  await bridge.start(async () => undefined, memoryHost().host);
  // Both chats exist for the fake once someone has written in them.
  fake.sendText({ chat: annDm, from: ann, text: 'hi' });
  fake.sendText({ chat: group, from: ann, text: 'hi' });
  return {
    fake,
    messenger: createMessenger([bridge]),
    stop: async () => {
      await bridge.stop();
      await fake.close();
    },
  };
}

/** When the chat first showed anything of the answer: a draft in a private chat, the message in a group. */
function firstVisible(fake: FakeTelegram, chat: FakeChat, since: number): number | undefined {
  const drafts = chat.type === 'private' ? fake.drafts(chat.id).filter((d) => d.at >= since) : [];
  const sends = fake
    .messages(chat.id)
    .map((m) => m.history[0]!.at)
    .filter((at) => at >= since);
  const seen = [...drafts.map((d) => d.at), ...sends];
  return seen.length ? Math.min(...seen) : undefined;
}

/** One answer of `chunks` pieces every `everyMs`; the time from its first chunk to the first thing shown. */
async function firstUpdate(
  t: Awaited<ReturnType<typeof telegram>>,
  chat: FakeChat,
  chunks: number,
  everyMs: number,
): Promise<number> {
  const answer = createAnswer({
    messenger: t.messenger,
    chat: chatOf(chat),
    direct: chat.type === 'private',
    recipient: asker,
    clock: systemClock,
    log: silentLog,
  });
  const started = Date.now();
  for (let i = 0; i < chunks; i++) {
    answer.append(`word${i} `);
    await pause(everyMs);
  }
  await answer.finish();
  const shown = firstVisible(t.fake, chat, started);
  if (shown === undefined) throw new Error('the answer never showed');
  return shown - started;
}

/** n answers streaming at once into one group: 429s, and answers whose final text is not all that was sent. */
async function manyAtOnce(
  n: number,
  chunks: number,
): Promise<{ tooManyRequests: number; incomplete: number }> {
  const t = await telegram();
  try {
    const texts = await Promise.all(
      Array.from({ length: n }, async (_, a) => {
        const answer = createAnswer({
          messenger: t.messenger,
          chat: chatOf(group),
          direct: false,
          recipient: asker,
          clock: systemClock,
          log: silentLog,
        });
        let sent = '';
        for (let i = 0; i < chunks; i++) {
          const piece = `a${a}w${i} `;
          sent += piece;
          answer.append(piece);
          await pause(10);
        }
        const refs = await answer.finish();
        return { sent, refs };
      }),
    );
    const shown = new Map(t.fake.messages(group.id).map((m) => [String(m.messageId), m.plainText]));
    // Parts of a long answer are split where the text allows: what counts is every word once, in order.
    const words = (text: string): string => text.replace(/\s+/g, ' ').trim();
    const incomplete = texts.filter(
      ({ sent, refs }) => words(refs.map((r) => shown.get(r.messageId) ?? '').join(' ')) !== words(sent),
    ).length;
    t.fake.assertNoViolations();
    return {
      tooManyRequests: t.fake.stats.tooManyRequests,
      incomplete,
    };
  } finally {
    await t.stop();
  }
}

/**
 * fleetbot's own CPU for streamed chunks: answers on the console bridge (no fake server in the same
 * process to share the count), n at once, each chunk handed over as an agent's arrive.
 */
async function cpuPer1000Chunks(n: number, chunks: number): Promise<number> {
  const output = new PassThrough();
  output.resume();
  const bridge = createConsoleBridge({ input: new PassThrough(), output, tty: false });
  const messenger = createMessenger([bridge]);
  const chat: ChatRef = { platform: 'console', chatId: 'local' };
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: n }, async (_, a) => {
      const answer = createAnswer({
        messenger,
        chat,
        direct: true,
        recipient: { platform: 'console', userId: 'local' },
        clock: systemClock,
        log: silentLog,
      });
      for (let i = 0; i < chunks; i++) {
        answer.append(`a${a}w${i} `);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await answer.finish();
    }),
  );
  const used = process.cpuUsage(cpu);
  return ((used.user + used.system) / 1000 / (n * chunks)) * 1000;
}

/**
 * B8: from an agent's first chunk to the first update a person sees (a draft in a private chat, the
 * message in a group, at the bridge's real pace against Telegram's flood limits); five answers
 * streaming at once into one group; the bot's CPU per 1,000 chunks.
 */
export const answerStreaming: Benchmark = async ({ quick }) => {
  const runs = quick ? 5 : 20;
  const t = await telegram();
  const privateMs: number[] = [];
  const groupMs: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      privateMs.push(await firstUpdate(t, annDm, 10, 50));
      groupMs.push(await firstUpdate(t, group, 10, 50));
      // A group takes about 20 messages a minute: the next answer starts on a quiet chat.
      await pause(quick ? 1_000 : 3_000);
    }
  } finally {
    await t.stop();
  }
  const many = await manyAtOnce(5, quick ? 100 : 400);
  const cpuMs = await cpuPer1000Chunks(5, quick ? 1_000 : 4_000);
  return [
    {
      id: 'B8',
      what: 'private chat: first chunk → first visible update, p50',
      measured: percentile(privateMs, 50),
      unit: 'ms',
      target: 300,
      detail: { privateMs },
    },
    {
      id: 'B8',
      what: 'group: first chunk → first visible update, p50',
      measured: percentile(groupMs, 50),
      unit: 'ms',
      target: 1100,
      detail: { groupMs },
    },
    {
      id: 'B8',
      what: '5 answers streaming at once in one group: 429s received',
      measured: many.tooManyRequests,
      unit: '',
      target: 0,
      detail: many,
    },
    {
      id: 'B8',
      what: '5 answers at once: final texts not complete',
      measured: many.incomplete,
      unit: '',
      target: 0,
      detail: many,
    },
    {
      id: 'B8',
      what: 'bot CPU per 1,000 streamed chunks',
      measured: Math.round(cpuMs),
      unit: 'ms',
      target: 250,
    },
  ];
};
