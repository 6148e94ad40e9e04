import { fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../src/core/runtime/clock.js';
import { createMonitor } from '../src/core/monitor/monitor.js';
import { checkHealth } from '../src/core/fleet/healthCheck.js';
import { defaultThresholds } from '../src/core/monitor/states.js';
import { openStore } from '../src/core/store/index.js';
import { silentLog, tempDir } from '../test/support/env.js';
import type { Benchmark } from './row.js';
import { median, repeat } from './stats.js';

const farmEntry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support', 'agentFarm.ts');

/**
 * B6: one health-monitor cycle over n running agents, each a real HTTP server on loopback in a child
 * process (n listening sockets and n connections there, n client sockets here: within `ulimit -n`
 * 20000 on the bench machine). The monitor runs as main.ts builds it: 256 checks in flight, 5 s timeout.
 */
export const monitorCycle: Benchmark = async ({ quick }) => {
  const n = quick ? 500 : 5_000;
  const farm = fork(farmEntry, [String(n)], { execArgv: ['--import', 'tsx'] });
  const tmp = tempDir('fleetbot-bench-');
  const store = openStore(path.join(tmp.dir, 'fleetbot.db'), systemClock);
  try {
    const [ports] = (await once(farm, 'message')) as [number[]];
    store.transaction(() =>
      ports.forEach((port, i) => {
        const agent = store.agents.create({
          name: `agent-${i}`,
          role: 'swe',
          provider: 'local',
          owner: 'bench',
        });
        store.agents.update(agent.id, { status: 'running', url: `http://127.0.0.1:${port}` });
      }),
    );
    let transitions = 0;
    const monitor = createMonitor({
      store,
      clock: systemClock,
      log: silentLog,
      check: (agent) => ({
        slow: false,
        run: () => checkHealth(`${agent.url}/health`, { timeoutMs: 5_000 }),
      }),
      intervalMs: 30_000,
      slowIntervalMs: 600_000,
      concurrency: 256,
      thresholds: defaultThresholds,
      onTransition: async () => void transitions++,
    });
    const cycles = await repeat(quick ? 2 : 3, async () => {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const { checked } = await monitor.cycle();
      const used = process.cpuUsage(cpu);
      if (checked !== n) throw new Error(`checked ${checked} of ${n} agents`);
      return { wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
    });
    const healthy = [...store.health.all().values()].filter((h) => h.state === 'healthy').length;
    const detail = { cycles, healthy, transitions };
    return [
      {
        id: 'B6',
        what: `one monitor cycle over ${n} agents: wall time`,
        measured: median(cycles.map((c) => c.wallMs)) / 1000,
        unit: 's',
        target: 10,
        detail,
      },
      {
        id: 'B6',
        what: 'one monitor cycle: CPU time',
        measured: median(cycles.map((c) => c.cpuMs)) / 1000,
        unit: 's',
        target: 10,
      },
    ];
  } finally {
    store.close();
    farm.disconnect();
    tmp.cleanup();
  }
};
