import type { Config, ProviderSettings } from './config/index.js';
import { commands } from './commands/index.js';
import {
  alertPrompt,
  destroyPrompt,
  orphanPrompt,
  permissionPrompt,
  prompts,
  stopPrompt,
} from './prompts/index.js';
import { stopButtonTtlMs } from './prompts/stop.js';
import { createBridgeHost } from './core/chat/bridgeHost.js';
import { serveMcp } from './bridges/mcp/http.js';
import { systemClock, type Clock } from './core/runtime/clock.js';
import { createFleet } from './core/fleet/fleet.js';
import { createChatProbe } from './core/fleet/chatProbe.js';
import { redrawCardsBehind } from './core/jobs/redraw.js';
import { createJobService } from './core/jobs/service.js';
import type { Logger } from './core/runtime/logging.js';
import { createMessenger } from './core/chat/messenger.js';
import type { Provider } from './core/fleet/provider.js';
import { loadRoles } from './core/fleet/roles.js';
import { levelRank, type Level } from './core/access/levels.js';
import { createRouter } from './core/router/router.js';
import { createAccess } from './core/access/access.js';
import { createApprovals } from './core/prompts/approvals.js';
import type { Services } from './core/router/command.js';
import { createPairing } from './core/access/pairing.js';
import { createReconciler } from './core/fleet/reconcile.js';
import { storeInstanceId } from './core/fleet/instance.js';
import { createAlerts } from './core/monitor/alerts.js';
import { createMonitor } from './core/monitor/monitor.js';
import { createMetrics, type Metrics } from './core/runtime/metrics.js';
import { defaultThresholds } from './core/monitor/states.js';
import { openStore, type Store } from './core/store/index.js';
import type { Bridge } from './core/chat/types.js';
import { createSshPool } from './providers/ssh/pool.js';
import { allProviders, roleSections } from './providers/index.js';
import { allProtocols, chatSections } from './protocols/index.js';
import { createConversations } from './core/conversations/service.js';
import { createAnswer } from './core/chat/answer.js';
import { message } from './core/chat/outbound.js';
import { allBridges } from './bridges/index.js';
import type { ConsoleBridge } from './bridges/console/index.js';
import { isConsoleBridge } from './bridges/console/module.js';
import type { Readable, Writable } from 'node:stream';
import { headerEquals, type HttpServer } from './core/runtime/httpServer.js';
import { fleetbotVersion } from './core/runtime/version.js';

export type FleetbotDeps = {
  bridges: Bridge[];
  log: Logger;
  clock?: Clock;
  /** Where /healthz and /metrics are served, when FLEETBOT_HTTP_PORT is set. */
  http?: HttpServer;
  /** The metrics registry the bridges already report into; a fresh one when absent. */
  metrics?: Metrics;
  /** Providers to run besides (or instead of, by name) the ones the config builds. */
  providers?: Provider[];
  /** Settings laid over what the config gives a provider, by its name (tests use short timings). */
  providerSettings?: { [N in keyof ProviderSettings]?: Partial<NonNullable<ProviderSettings[N]>> };
};

/**
 * The command menu chat platforms show, straight from the command table: every command, or those a
 * person of `level` may run.
 */
export const commandMenu = (level: Level = 'admin'): { command: string; description: string }[] =>
  commands
    .filter((c) => levelRank(c.permission) <= levelRank(level))
    .map((c) => ({ command: c.name, description: c.summary }));

/** The bridges the config asks for, in registry order. */
export function createBridges(
  config: Config,
  io: {
    log: Logger;
    clock?: Clock;
    stdin: Readable & { isTTY?: boolean };
    stdout: Writable & { isTTY?: boolean; columns?: number };
    onFatal: (err: Error) => void;
    metrics?: Metrics;
    /** The shared HTTP server, when FLEETBOT_HTTP_PORT is set (webhook receivers, Slack HTTP mode). */
    http?: HttpServer;
  },
): { bridges: Bridge[]; console: ConsoleBridge | undefined } {
  const bridges: Bridge[] = [];
  const settings: Record<string, unknown> = config.bridges;
  for (const module of allBridges) {
    if (settings[module.name] === undefined) continue;
    const bridge = module.create(settings[module.name], {
      ...io,
      log: io.log.child({ bridge: module.name }),
      clock: io.clock ?? systemClock,
      menu: commandMenu(),
      menuFor: commandMenu,
      alongside: [...bridges],
    });
    if (bridge) bridges.push(bridge);
  }
  return { bridges, console: bridges.find(isConsoleBridge) };
}

/**
 * GET /healthz: 200 when the store answers a read and every bridge is connected, else 503 with the
 * reasons, and fleetbot's version either way; it writes nothing, so a probe cannot wear the store. GET /metrics: Prometheus text, for
 * the bearer token's holder only when FLEETBOT_METRICS_TOKEN is set.
 */
function serveHealth(
  http: HttpServer,
  deps: { store: Store; bridges: Bridge[]; metrics: Metrics; metricsToken: string | undefined },
): void {
  http.route('GET', '/healthz', (_req, _body, res) => {
    const problems: string[] = [];
    try {
      deps.store.cursors.get('healthz');
    } catch (err) {
      problems.push(`store: ${err instanceof Error ? err.message : String(err)}`);
    }
    const bridges = deps.bridges.map((b) => ({
      platform: b.platform,
      ...(b.health?.() ?? { ok: true, detail: 'running' }),
    }));
    for (const b of bridges) if (!b.ok) problems.push(`${b.platform}: ${b.detail}`);
    res
      .writeHead(problems.length ? 503 : 200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ok: problems.length === 0, version: fleetbotVersion, problems, bridges }));
  });
  http.route(
    'GET',
    '/metrics',
    async (_req, _body, res) => {
      res
        .writeHead(200, { 'content-type': deps.metrics.registry.contentType })
        .end(await deps.metrics.registry.metrics());
    },
    deps.metricsToken ? { authorize: headerEquals('authorization', `Bearer ${deps.metricsToken}`) } : {},
  );
}

/** Config-listed admins and chats are granted at every start; ones removed from the config lose access. */
function seedAccess(store: Store, config: Config, bridges: Bridge[]): void {
  const admins = config.admins.map((a) => ({ platform: a.platform, userId: a.id }));
  if (bridges.some((b) => b.platform === 'console')) admins.push({ platform: 'console', userId: 'local' });
  store.transaction(() => {
    store.principals.pruneConfig(admins);
    for (const admin of admins) store.principals.upsert({ ...admin, level: 'admin', source: 'config' });
    store.chats.pruneConfig(config.chats.map((c) => ({ platform: c.platform, chatId: c.id })));
    for (const chat of config.chats) store.chats.allow(chat.platform, chat.id, 'config');
    store.subscriptions.dropRevoked();
  });
}

/** The composition root: builds every service from the config and connects the bridges to the router. */
export async function createFleetbot(config: Config, deps: FleetbotDeps) {
  const clock = deps.clock ?? systemClock;
  const log = deps.log;
  const roles = loadRoles(config.rolesDir, roleSections, chatSections);
  const store = openStore(config.dbPath, clock);
  seedAccess(store, config, deps.bridges);

  const metrics = deps.metrics ?? createMetrics();
  // A minute covers the gaps between a job's steps and between monitor checks over SSH.
  const sshPool = createSshPool({ clock, idleMs: 60_000 });
  const providers = new Map<string, Provider>();
  const instance = config.instance ?? storeInstanceId(store);
  const settings: Record<string, object | undefined> = config.providers;
  const overrides: Record<string, object | undefined> = deps.providerSettings ?? {};
  for (const module of allProviders) {
    if (settings[module.name] === undefined) continue;
    const shared = {
      clock,
      log: log.child({ provider: module.name }),
      metrics,
      sshPool,
      login: config.ssh,
      dataDir: config.dataDir,
      instance,
    };
    providers.set(
      module.name,
      module.create({ ...settings[module.name], ...overrides[module.name] }, shared),
    );
  }
  for (const provider of deps.providers ?? []) providers.set(provider.name, provider);
  const messenger = createMessenger(deps.bridges, {
    isUnreachable: (chat) => store.chats.get(chat.platform, chat.chatId)?.unreachable === true,
  });
  const jobs = createJobService({ store, messenger, clock, log, concurrency: config.concurrency });
  const protocols = new Map(allProtocols.map((p) => [p.name, p]));
  const fleet = createFleet({
    store,
    jobs,
    providers,
    roles,
    defaultProvider: config.provider,
    maxAgentsPerPerson: config.maxAgentsPerPerson,
    agentEnv: config.agentEnv,
    probeChat: createChatProbe({ protocols, clock, log: log.child({ part: 'probe' }) }),
    clock,
    log,
  });
  const access = createAccess(store);
  const pairing = createPairing(store, clock);
  const thresholds = {
    ...defaultThresholds,
    downAfter: config.health.downAfter,
    upAfter: config.health.upAfter,
  };
  const approvals = createApprovals({
    store,
    messenger,
    prompts,
    // Button handlers run later, once every service below exists.
    services: () => services,
    clock,
    log,
    ttlMs: config.approvalTtlMs,
    policyFor: (card) => (card === destroyPrompt ? config.destroyApproval : 'self'),
  });
  const alerts = createAlerts({
    store,
    approvals,
    card: alertPrompt,
    messenger,
    clock,
    log: log.child({ part: 'alerts' }),
    thresholds,
  });
  const reconciler = createReconciler({
    store,
    providers,
    approvals,
    card: orphanPrompt,
    messenger,
    clock,
    log: log.child({ part: 'reconcile' }),
    safetyWindowMs: config.reconcile.orphanAgeMs,
    autoDelete: config.reconcile.autoDelete,
  });
  const conversations = createConversations({
    store,
    protocols,
    reach: (agent) => fleet.reach(agent),
    answers: (place) => createAnswer({ ...place, messenger, clock, log: log.child({ part: 'answers' }) }),
    permissions: {
      post: async ({ requestId, agent, asker, request, chat, ttlMs }) => {
        await approvals.post(permissionPrompt, {
          payload: { requestId, agent, asker, title: request.title.slice(0, 300) },
          view: { agent, ...request },
          chat,
          ttlMs,
        });
      },
      sweep: () => approvals.sweep(),
    },
    stopButtons: {
      issue: ({ turnId, agent, asker, chat }) => {
        const { promptId, drawn } = approvals.issue(stopPrompt, {
          payload: { turnId, agent, asker },
          view: undefined,
          chat,
          ttlMs: stopButtonTtlMs,
          requestedBy: asker,
        });
        return { promptId, row: drawn.buttons?.[0] ?? [] };
      },
      attach: (promptId, ref) => approvals.attach(promptId, ref),
      close: (promptId) => approvals.close(promptId, 'ended'),
    },
    permissionTtlMs: config.ask.permissionTtlMs,
    auditPrompts: config.ask.auditPrompts,
    clock,
    log: log.child({ part: 'conversations' }),
  });
  const services: Services = {
    fleet,
    jobs,
    store,
    access,
    pairing,
    alerts,
    reconciler,
    conversations,
    log,
    now: () => clock.now(),
  };
  const monitor = createMonitor({
    store,
    clock,
    log: log.child({ part: 'monitor' }),
    check: (agent) => fleet.check(agent, Math.min(config.health.timeoutMs, config.health.intervalMs)),
    intervalMs: config.health.intervalMs,
    slowIntervalMs: config.health.probeIntervalMs,
    concurrency: 256,
    thresholds,
    onTransition: (agent, record, transition) => alerts.onTransition(agent, record, transition),
    onMoved: (agent, from, to) => alerts.moved(agent, from, to),
    afterCycle: () => alerts.settleFlapping(),
  });
  jobs.onFinished((job, outcome) => alerts.jobFinished(job, outcome));
  metrics.attach({ store, queueDepth: () => jobs.depth() });
  jobs.onFinished(async (job, outcome) => metrics.jobFinished(job, outcome));
  if (deps.http)
    serveHealth(deps.http, { store, bridges: deps.bridges, metrics, metricsToken: config.http.metricsToken });
  const router = createRouter({
    commands,
    services,
    access,
    approvals,
    messenger,
    store,
    clock,
    log,
    commandsPerMinute: config.commandsPerMinute,
  });

  const recovered = await fleet.recover();
  store.idempotency.releaseUnanswered();
  const host = createBridgeHost(store, log, router, () => clock.now());
  // Programs come in over HTTP only where the API is on: FLEETBOT_API=off closes /mcp too.
  if (deps.http && config.bridges.api) serveMcp(deps.http, { host, log: log.child({ bridge: 'mcp' }) });
  for (const bridge of deps.bridges) await bridge.start((inbound) => router.handle(inbound), host);
  const unfinished = fleet.resumeUnfinished();
  // In the background, like the redraw below: answers cut off by the last stop say so.
  void conversations
    .recoverInterrupted((ref, text) => messenger.send(ref.chat, message(text), { replyTo: ref }))
    .catch((err: unknown) => log.warn({ err }, 'could not mark the answers interrupted by the last stop'));
  log.info(
    {
      adopted: recovered.adopted,
      missing: recovered.missing,
      resumed: unfinished.resumed.map((j) => j.id),
      rolledBack: unfinished.rolledBack.map((j) => j.id),
      stranded: unfinished.stranded.map((j) => j.id),
    },
    'recovered state from the store',
  );
  // In the background: a flood wait on one old card must not hold up the start.
  void redrawCardsBehind({ store, messenger, clock, log, wordingOf: (job) => fleet.cardWording(job) }).catch(
    (err: unknown) =>
      log.warn({ err }, 'could not redraw the cards of jobs that ended while fleetbot was down'),
  );

  // Expired approval cards are marked as such, so nobody acts on a stale offer.
  let sweeping: unknown;
  const sweep = (): void => {
    sweeping = clock.setTimeout(() => {
      void approvals
        .sweep()
        .catch((err: unknown) => log.warn({ err }, 'approval sweep failed'))
        .finally(() => sweeping !== undefined && sweep());
    }, 30_000);
  };
  sweep();
  monitor.start();
  let reconciling: unknown;
  const reconcileLoop = (delayMs: number): void => {
    reconciling = clock.setTimeout(() => {
      void reconciler
        .run()
        .catch((err: unknown) => log.warn({ err }, 'reconciliation failed'))
        .finally(() => reconciling !== undefined && reconcileLoop(config.reconcile.intervalMs));
    }, delayMs);
  };
  // The first pass runs right after the start, once the bridges can carry its reports.
  reconcileLoop(0);

  return {
    router,
    /** The bridges' way in: `fleetbot mcp` serves its stdio MCP server through it. */
    host,
    approvals,
    pairing,
    monitor,
    alerts,
    reconciler,
    fleet,
    jobs,
    store,
    /** Waits for running jobs to finish and their cards to show the final state. */
    idle: () => jobs.idle(),
    /**
     * For SIGTERM: take no new jobs, let running ones reach a step boundary (at most boundMs), so their
     * cards say they carry on after the restart, then stop.
     */
    async shutdown(boundMs: number): Promise<void> {
      await jobs.drain(boundMs);
      await this.stop();
    },
    async stop(): Promise<void> {
      clock.clearTimeout(sweeping);
      sweeping = undefined;
      clock.clearTimeout(reconciling);
      reconciling = undefined;
      await conversations.shutdown();
      await monitor.stop();
      await alerts.flush();
      for (const bridge of deps.bridges) await bridge.stop();
      sshPool.close();
      store.close();
    },
  };
}
export type Fleetbot = Awaited<ReturnType<typeof createFleetbot>>;
