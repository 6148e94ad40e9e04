import type { Config } from './config/index.js';
import { commands, prompts } from './commands/index.js';
import { createBridgeHost } from './core/bridgeHost.js';
import { systemClock, type Clock } from './core/clock.js';
import { createFleet } from './core/fleet.js';
import { renderJobCard } from './core/jobs/card.js';
import { code } from './core/outbound.js';
import { createJobService } from './core/jobs/service.js';
import type { Logger } from './core/logging.js';
import { createMessenger } from './core/messenger.js';
import type { Provider } from './core/provider.js';
import { loadRoles } from './core/roles.js';
import { createRouter } from './core/router.js';
import { openStore, type Store } from './core/store/index.js';
import type { Bridge } from './core/types.js';
import { createLocalProvider, type LocalOptions } from './providers/local/index.js';
import { createConsoleBridge, type ConsoleBridge } from './bridges/console/index.js';
import { createSlackBridge } from './bridges/slack/index.js';
import { createTelegramBridge } from './bridges/telegram/index.js';
import type { Readable, Writable } from 'node:stream';
import type { HttpServer } from './core/httpServer.js';

export type FleetbotDeps = {
  bridges: Bridge[];
  log: Logger;
  clock?: Clock;
  /** Providers to run besides (or instead of, by name) the ones the config builds. */
  providers?: Provider[];
  /** Overrides for the local provider's timings (tests use short ones). */
  local?: Partial<Pick<LocalOptions, 'healthDeadlineMs' | 'stopGraceMs' | 'pollIntervalMs'>>;
};

/** The command menu chat platforms show, straight from the command table. */
export const commandMenu = (): { command: string; description: string }[] =>
  commands.map((c) => ({ command: c.name, description: c.summary }));

/**
 * The bridges the config asks for. The console is on when asked, or (auto) when started from a
 * terminal or when no chat platform is configured, so a service with Telegram never reads stdin.
 */
export function createBridges(
  config: Config,
  io: {
    log: Logger;
    clock?: Clock;
    stdin: Readable & { isTTY?: boolean };
    stdout: Writable & { isTTY?: boolean; columns?: number };
    onFatal: (err: Error) => void;
    /** The shared HTTP server, when FLEETBOT_HTTP_PORT is set (webhook receivers, Slack HTTP mode). */
    http?: HttpServer;
  },
): { bridges: Bridge[]; console: ConsoleBridge | undefined } {
  const clock = io.clock ?? systemClock;
  const bridges: Bridge[] = [];
  if (config.telegram) {
    bridges.push(
      createTelegramBridge({
        token: config.telegram.token,
        apiRoot: config.telegram.apiRoot,
        log: io.log.child({ bridge: 'telegram' }),
        clock,
        menu: commandMenu(),
        onFatal: io.onFatal,
        ...(config.telegram.webhook && io.http
          ? { webhook: { ...config.telegram.webhook, http: io.http } }
          : {}),
      }),
    );
  }
  if (config.slack) {
    const { mode } = config.slack;
    const receiving = mode.kind === 'socket' ? mode : io.http ? { ...mode, http: io.http } : undefined;
    if (!receiving) throw new Error('Slack HTTP mode needs FLEETBOT_HTTP_PORT');
    bridges.push(
      createSlackBridge({
        botToken: config.slack.botToken,
        apiUrl: config.slack.apiUrl,
        mode: receiving,
        commandNames: commandMenu().map((c) => c.command),
        log: io.log.child({ bridge: 'slack' }),
        clock,
        onFatal: io.onFatal,
      }),
    );
  }
  const wantConsole =
    config.console === 'on' ||
    (config.console === 'auto' && (io.stdin.isTTY === true || bridges.length === 0));
  const consoleBridge = wantConsole
    ? createConsoleBridge({
        input: io.stdin,
        output: io.stdout,
        tty: io.stdout.isTTY === true,
        columns: () => io.stdout.columns ?? 80,
      })
    : undefined;
  if (consoleBridge) bridges.push(consoleBridge);
  return { bridges, console: consoleBridge };
}

/** Config-listed admins and chats are granted at every start; ones removed from the config lose access. */
function seedAccess(store: Store, config: Config, bridges: Bridge[]): void {
  const admins = config.admins.map((a) => ({ platform: a.platform, userId: a.id }));
  if (bridges.some((b) => b.platform === 'console')) admins.push({ platform: 'console', userId: 'local' });
  store.transaction(() => {
    store.principals.pruneConfig(admins);
    for (const admin of admins) store.principals.upsert({ ...admin, level: 'admin', source: 'config' });
    for (const chat of config.chats) store.chats.allow(chat.platform, chat.id, 'config');
  });
}

/** The composition root: builds every service from the config and connects the bridges to the router. */
export async function createFleetbot(config: Config, deps: FleetbotDeps) {
  const clock = deps.clock ?? systemClock;
  const log = deps.log;
  const roles = loadRoles(config.rolesDir);
  const store = openStore(config.dbPath, clock);
  seedAccess(store, config, deps.bridges);

  const providers = new Map<string, Provider>([
    [
      'local',
      createLocalProvider({
        dataDir: config.dataDir,
        clock,
        log: log.child({ provider: 'local' }),
        ...deps.local,
      }),
    ],
  ]);
  for (const provider of deps.providers ?? []) providers.set(provider.name, provider);
  const messenger = createMessenger(deps.bridges, {
    isUnreachable: (chat) => store.chats.get(chat.platform, chat.chatId)?.unreachable === true,
  });
  const jobs = createJobService({ store, messenger, clock, log, concurrency: config.concurrency });
  const fleet = createFleet({
    store,
    jobs,
    providers,
    roles,
    defaultProvider: config.provider,
    agentEnv: config.agentEnv,
    clock,
    log,
  });
  const router = createRouter({
    commands,
    prompts,
    services: { fleet, jobs, store, log, now: () => clock.now() },
    messenger,
    store,
    clock,
    log,
  });

  const recovered = await fleet.recover();
  log.info(
    {
      adopted: recovered.adopted,
      missing: recovered.missing,
      interrupted: recovered.interrupted.map((j) => j.id),
    },
    'recovered state from the store',
  );
  const host = createBridgeHost(store, log);
  for (const bridge of deps.bridges) await bridge.start((inbound) => router.handle(inbound), host);
  for (const job of recovered.interrupted) {
    const current = store.jobs.byId(job.id);
    if (!current?.messageId) continue;
    const copy = {
      title: `${job.kind} ${job.subject}`,
      retryHint: '',
      cleanupHint:
        job.agentId === null
          ? ['Run the command again when ready.']
          : [
              'Check ',
              code(`/status ${job.subject}`),
              '; ',
              code(`/destroy ${job.subject}`),
              ' removes whatever it created.',
            ],
    };
    await messenger
      .edit(
        { chat: job.chat, messageId: current.messageId },
        renderJobCard(current, store.steps.forJob(job.id), copy, clock.now()),
      )
      .catch((err: unknown) =>
        log.warn({ err, jobId: job.id }, 'could not update an interrupted job’s card'),
      );
  }

  return {
    router,
    fleet,
    jobs,
    store,
    /** Waits for running jobs to finish and their cards to show the final state. */
    idle: () => jobs.idle(),
    async stop(): Promise<void> {
      for (const bridge of deps.bridges) await bridge.stop();
      store.close();
    },
  };
}
export type Fleetbot = Awaited<ReturnType<typeof createFleetbot>>;
