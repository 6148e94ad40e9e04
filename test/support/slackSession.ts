import { createSlackBridge, type SlackOptions } from '../../src/bridges/slack/index.js';
import { systemClock } from '../../src/core/runtime/clock.js';
import { createHttpServer } from '../../src/core/runtime/httpServer.js';
import { commandMenu } from '../../src/main.js';
import { startFakeSlack, type FakeSlack, type FakeUser, type SentEnvelope } from '../fakes/slack/index.js';
import { startChatBot } from './chatBot.js';
import { silentLog } from './env.js';

/** The real Slack bridge on Socket Mode against a fake, quiet, on real time; a fatal error fails the test. */
export const socketSlackBridge = (fake: FakeSlack, opts: Partial<SlackOptions> = {}) =>
  createSlackBridge({
    botToken: fake.botToken,
    apiUrl: fake.apiUrl,
    mode: { kind: 'socket', appToken: fake.appToken },
    log: silentLog,
    clock: systemClock,
    onFatal: (err) => {
      throw err;
    },
    paceMs: 50,
    retries: 0,
    ...opts,
  });

export const ann: FakeUser = { id: 'UANN', name: 'ann' };
export const bob: FakeUser = { id: 'UBOB', name: 'bob' };
/** Ann's DM with the bot, and the team's ops channel. */
export const annDm = 'DANN';
export const ops = 'COPS';

/**
 * Signature headers as a forger can make them without the signing secret: a timestamp `ageSeconds`
 * old and a signature of the right shape that matches no body.
 */
export const forgedSignature = (ageSeconds = 0): Record<string, string> => ({
  'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000) - ageSeconds),
  'x-slack-signature': `v0=${'0'.repeat(64)}`,
});

/**
 * The bot with its Slack bridge (the real Bolt App) pointed at a fake Slack: Socket Mode by default,
 * or HTTP mode on a shared HTTP server. Pacing and socket timings are scaled down for tests.
 */
export async function startSlackBot(
  dataDir: string,
  opts: {
    env?: Record<string, string>;
    fake?: FakeSlack;
    mode?: 'socket' | 'http';
    paceMs?: number;
    socket?: SlackOptions['socket'];
  } = {},
) {
  const fake = opts.fake ?? (await startFakeSlack());
  const fatal: Error[] = [];
  const http =
    opts.mode === 'http' ? createHttpServer({ port: 0, host: '127.0.0.1', log: silentLog }) : undefined;
  const port = await http?.listen();
  const bridge = createSlackBridge({
    botToken: fake.botToken,
    apiUrl: fake.apiUrl,
    mode: http
      ? { kind: 'http', signingSecret: fake.signingSecret, http }
      : { kind: 'socket', appToken: fake.appToken },
    log: silentLog,
    clock: systemClock,
    onFatal: (err) => fatal.push(err),
    commandNames: commandMenu().map((c) => c.command),
    paceMs: opts.paceMs ?? 50,
    retries: 0,
    socket: opts.socket ?? {
      clientPingTimeoutMs: 300,
      watchdog: { reconnectAfterMs: 600, fatalAfterMs: 20_000, checkEveryMs: 100 },
    },
  });
  const { bot, settle } = await startChatBot(
    bridge,
    dataDir,
    { FLEETBOT_ADMINS: `slack:${ann.id}`, ...opts.env },
    fake.calls,
  );
  /** Waits for the app's ack of an envelope, then for the bot to finish what it started. */
  const handled = async (envelope: SentEnvelope): Promise<SentEnvelope> => {
    await fake.waitFor(() => envelope.ackedAt !== undefined, 5000);
    await settle();
    return envelope;
  };
  return {
    fake,
    bot,
    bridge,
    fatal,
    settle,
    handled,
    eventsUrl: `http://127.0.0.1:${port ?? 0}/slack/events`,
    /** `/fleet <text>` typed by a person, answered and settled. */
    fleet: (user: FakeUser, channel: string, text: string) =>
      handled(fake.slashCommand({ user, channel, text })),
    async stop(closeFake = true): Promise<void> {
      await bot.idle();
      await bot.stop();
      await http?.close();
      if (closeFake) await fake.close();
    },
  };
}
