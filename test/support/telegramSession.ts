import { createTelegramBridge, type TelegramOptions } from '../../src/bridges/telegram/index.js';
import type { Provider } from '../../src/core/fleet/provider.js';
import { createHttpServer, type HttpServer } from '../../src/core/runtime/httpServer.js';
import type { ApiOutcome, Metrics } from '../../src/core/runtime/metrics.js';
import { commandMenu, type Fleetbot } from '../../src/main.js';
import {
  startFakeTelegram,
  type FakeChat,
  type FakeTelegram,
  type FakeUser,
} from '../fakes/telegram/index.js';
import { apiBridgeOn, apiClient } from './apiBot.js';
import { startChatBot } from './chatBot.js';
import { useCleanups } from './cleanups.js';
import { silentLog, tempDir } from './env.js';
import { runningAgent } from './agents.js';
import { systemClock, type Clock } from '../../src/core/runtime/clock.js';

export const ann: FakeUser = { id: 1001, firstName: 'Ann', username: 'ann' };
export const bob: FakeUser = { id: 1002, firstName: 'Bob' };
export const annDm: FakeChat = { id: 1001, type: 'private' };

/** Pacing scaled to the fake's flood limits as the sessions set them (20 a second per chat, 600 a minute per group). */
export const scaledPace: NonNullable<TelegramOptions['pace']> = {
  private: { minIntervalMs: 60 },
  group: { minIntervalMs: 60, perMinute: 600 },
};

/** The real Telegram bridge pointed at a fake Bot API (in this process or another), quiet and on real time. */
export const fakeTelegramBridge = (
  fake: { token: string; apiRoot: string },
  opts: Omit<TelegramOptions, 'token' | 'apiRoot' | 'log' | 'clock' | 'menus'>,
) =>
  createTelegramBridge({
    token: fake.token,
    apiRoot: fake.apiRoot,
    log: silentLog,
    clock: systemClock,
    menus: { member: commandMenu('viewer'), admin: commandMenu('admin') },
    ...opts,
  });

/** The bot with its Telegram bridge pointed at a fake Bot API; pacing is scaled to the fake's limits. */
export async function startTelegramBot(
  dataDir: string,
  opts: {
    env?: Record<string, string>;
    fake?: FakeTelegram;
    pace?: TelegramOptions['pace'];
    webhook?: { url: string; secret: string; http: HttpServer };
    /** The bot's clock (approvals, expiry); the bridge keeps real time for its pacing. */
    clock?: Clock;
    http?: HttpServer;
    /** The HTTP API beside the chat on a server of its own on a loopback port, as FLEETBOT_HTTP_PORT serves it. */
    api?: true;
    metrics?: Metrics;
    /** Providers besides the configured ones (a test double that waits where the test says). */
    providers?: Provider[];
  } = {},
) {
  const fake =
    opts.fake ?? (await startFakeTelegram({ perChatPerSecond: 20, perChatBurst: 3, groupPerMinute: 600 }));
  const fatal: Error[] = [];
  const bridge = fakeTelegramBridge(fake, {
    onFatal: (err) => fatal.push(err),
    pace: opts.pace ?? scaledPace,
    conflictBackoffMs: [50, 100],
    pollTimeoutSeconds: 1,
    retryBaseMs: 20,
    ...(opts.metrics
      ? {
          observe: (method: string, outcome: ApiOutcome) =>
            opts.metrics!.chatCall('telegram', method, outcome),
        }
      : {}),
    ...(opts.webhook ? { webhook: opts.webhook } : {}),
  });
  const served = opts.api ? createHttpServer({ port: 0, log: silentLog }) : undefined;
  const port = await served?.listen();
  const http = served ?? opts.http;
  const { bot, settle } = await startChatBot(
    bridge,
    dataDir,
    { FLEETBOT_ADMINS: `telegram:${ann.id}`, ...opts.env },
    fake.calls,
    {
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(http ? { http } : {}),
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
      ...(opts.providers ? { providers: opts.providers } : {}),
      ...(served ? { alongside: [apiBridgeOn(served)] } : {}),
    },
  );
  return {
    fake,
    bot,
    /** A program's client of the HTTP API, when the session serves it. */
    api: port === undefined ? undefined : await apiClient(`http://127.0.0.1:${port}`),
    bridge,
    fatal,
    /** Sends a text as a person would and waits until the bot has answered and its jobs are done. */
    async say(
      chat: FakeChat,
      from: FakeUser,
      text: string,
      opts2: { threadId?: number } = {},
    ): Promise<void> {
      const before = fake.calls.length;
      fake.sendText({
        chat,
        from,
        text,
        ...(opts2.threadId ? { threadId: opts2.threadId, isTopicMessage: true } : {}),
      });
      await fake.waitFor(
        () => fake.calls.slice(before).some((c) => /^(sendMessage|sendDocument)$/.test(c.method)),
        5000,
      );
      await settle();
    },
    settle,
    async stop(closeFake = true): Promise<void> {
      await bot.idle();
      await bot.stop();
      await served?.close();
      if (closeFake) await fake.close();
    },
  };
}

export type TelegramSession = Awaited<ReturnType<typeof startTelegramBot>>;

/** For a describe block: `session(opts)` starts a bot against a fresh fake and data folder, cleaned up after each test. */
export function telegramSessions(): (
  opts?: Parameters<typeof startTelegramBot>[1],
) => Promise<TelegramSession> {
  const defer = useCleanups();
  return async (opts = {}) => {
    const tmp = tempDir();
    const s = await startTelegramBot(tmp.dir, opts);
    defer(tmp.cleanup);
    defer(() => s.stop());
    return s;
  };
}

/** An agent row that looks running, owned by Ann, for tests about cards and buttons rather than processes. */
export const seedRunningAgent = (bot: Fleetbot, name: string) =>
  runningAgent(bot.store, name, `telegram:${ann.id}`);

/** The opaque id behind the button with this label on one of the bot's messages, as a client would send it. */
export function buttonData(s: TelegramSession, chatId: number, messageId: number, label: RegExp): string {
  const markup = s.fake.messages(chatId).find((m) => m.messageId === messageId)!.replyMarkup;
  const button = markup?.inline_keyboard.flat().find((b) => label.test(b.text));
  if (!button || !('callback_data' in button)) throw new Error(`no button ${String(label)}`);
  return button.callback_data;
}
