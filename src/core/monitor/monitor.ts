import type { Clock } from '../runtime/clock.js';
import type { AgentHealth } from '../fleet/provider.js';
import { errorMessage } from '../runtime/errors.js';
import type { Logger } from '../runtime/logging.js';
import type { Agent } from '../store/agents.js';
import { unknownHealth, type HealthRecord } from '../store/health.js';
import type { Store } from '../store/index.js';
import { applyCheck, type Check, type Thresholds, type Transition } from './states.js';

export type MonitorOptions = {
  store: Store;
  clock: Clock;
  log: Logger;
  /** How to check one agent; a `slow` check (one that starts a process) runs every `slowIntervalMs`. */
  check: (agent: Agent) => { slow: boolean; run: () => Promise<AgentHealth> };
  intervalMs: number;
  slowIntervalMs: number;
  /** Checks in flight at once; a slow agent holds one slot, never the cycle. */
  concurrency: number;
  thresholds: Thresholds;
  onTransition: (agent: Agent, record: HealthRecord, transition: Transition) => Promise<void>;
  /** An agent's check named another place than its last one (a Swarm node drained): where from, where to. */
  onMoved?: (agent: Agent, from: string, to: string) => Promise<void>;
  /** Runs after each cycle's changes were handled (closing incidents that calmed down). */
  afterCycle?: () => void;
};

/** Runs fn over items with at most `limit` in flight. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Checks every agent that should be running, once per interval: bounded concurrency, a timeout per
 * check, one pooled HTTP client, one transaction per cycle for the results. Cost grows linearly with
 * the fleet; what changed is handed to the incident logic after the cycle's writes.
 */
export function createMonitor(opts: MonitorOptions) {
  const { store, clock, log } = opts;
  let timer: unknown;
  let running: Promise<unknown> | undefined;
  const slowCheckedAt = new Map<number, number>();
  /** Where each agent ran at its last check that said so; a move is noticed from the second check on. */
  const placements = new Map<number, string>();

  async function cycle(): Promise<{ checked: number; durationMs: number }> {
    const started = clock.now();
    const agents = store.agents.list().filter((a) => a.status === 'running');
    const previous = store.health.all();
    const checks = new Map<number, Check>();
    const moves: { agent: Agent; from: string; to: string }[] = [];
    await eachLimited(agents, opts.concurrency, async (agent) => {
      const check = opts.check(agent);
      if (check.slow) {
        if (started - (slowCheckedAt.get(agent.id) ?? -Infinity) < opts.slowIntervalMs) return;
        slowCheckedAt.set(agent.id, started);
      }
      const health = await check
        .run()
        .catch((err: unknown): AgentHealth => ({ state: 'unhealthy', detail: errorMessage(err) }));
      if (health.placement !== undefined) {
        const from = placements.get(agent.id);
        placements.set(agent.id, health.placement);
        if (from !== undefined && from !== health.placement)
          moves.push({ agent, from, to: health.placement });
      }
      checks.set(agent.id, {
        ok: health.state === 'healthy',
        at: clock.now(),
        ...(health.latencyMs === undefined ? {} : { latencyMs: health.latencyMs }),
        ...(health.state === 'healthy' ? {} : { error: health.detail }),
      });
    });
    const changes: { agent: Agent; record: HealthRecord; transition: Transition }[] = [];
    // A slow check not due this cycle leaves its agent's record as it was.
    const records = agents.flatMap((agent) => {
      const check = checks.get(agent.id);
      if (!check) return [];
      const { next, transition } = applyCheck(
        previous.get(agent.id) ?? unknownHealth(agent.id),
        check,
        opts.thresholds,
      );
      if (transition !== 'none') changes.push({ agent, record: next, transition });
      return [next];
    });
    store.health.saveAll(records);
    for (const change of changes) {
      await opts
        .onTransition(change.agent, change.record, change.transition)
        .catch((err: unknown) =>
          log.error({ err, agent: change.agent.name }, 'could not handle a health change'),
        );
    }
    for (const move of moves) {
      await opts
        .onMoved?.(move.agent, move.from, move.to)
        .catch((err: unknown) => log.error({ err, agent: move.agent.name }, 'could not tell of a move'));
    }
    opts.afterCycle?.();
    return { checked: checks.size, durationMs: clock.now() - started };
  }

  const schedule = (): void => {
    timer = clock.setTimeout(() => {
      running = cycle()
        .then((r) => log.debug(r, 'health cycle'))
        .catch((err: unknown) => log.error({ err }, 'health cycle failed'))
        .finally(() => {
          running = undefined;
          if (timer !== undefined) schedule();
        });
    }, opts.intervalMs);
  };

  return {
    cycle,
    start: schedule,
    async stop(): Promise<void> {
      clock.clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
export type Monitor = ReturnType<typeof createMonitor>;
