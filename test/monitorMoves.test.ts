import { describe, expect, it } from 'vitest';
import type { AgentHealth } from '../src/core/fleet/provider.js';
import { createMonitor } from '../src/core/monitor/monitor.js';
import { defaultThresholds } from '../src/core/monitor/states.js';
import { systemClock } from '../src/core/runtime/clock.js';
import { openStore } from '../src/core/store/index.js';
import { silentLog } from './support/env.js';

describe('the monitor noticing an agent that moved', () => {
  it('tells where from and where to when a check names another place than the last one', async () => {
    const store = openStore(':memory:', systemClock);
    const agent = store.agents.create({
      name: 'alice',
      role: 'swe',
      provider: 'swarm',
      owner: 'console:local',
    });
    store.agents.update(agent.id, { status: 'running' });
    const places: (string | undefined)[] = [
      'node w1 (10.0.0.5)',
      'node w1 (10.0.0.5)',
      undefined,
      'node w2 (10.0.0.6)',
    ];
    const moves: string[] = [];
    const monitor = createMonitor({
      store,
      clock: systemClock,
      log: silentLog,
      check: () => ({
        slow: false,
        run: async (): Promise<AgentHealth> => {
          const placement = places.shift();
          return { state: 'healthy', detail: 'ok', ...(placement ? { placement } : {}) };
        },
      }),
      intervalMs: 60_000,
      slowIntervalMs: 60_000,
      concurrency: 4,
      thresholds: defaultThresholds,
      onTransition: async () => undefined,
      onMoved: async (a, from, to) => void moves.push(`${a.name}: ${from} → ${to}`),
    });
    for (let i = 0; i < 4; i++) await monitor.cycle();
    // The first check only learns the place; a check that names none (a stopped task) forgets nothing.
    expect(moves).toEqual(['alice: node w1 (10.0.0.5) → node w2 (10.0.0.6)']);
    store.close();
  });
});
