import type { Benchmark } from './row.js';
import { median, percentile, repeat } from './stats.js';
import { people } from './support/chatLoad.js';
import { startMinimalBot } from './support/minimalBot.js';
import { startRemoteFake } from './support/remoteFake.js';
import { startTelegramFleetbot } from './support/telegramFleetbot.js';

const cpuMs = (from: NodeJS.CpuUsage, to: NodeJS.CpuUsage): number =>
  (to.user - from.user + to.system - from.system) / 1000;

/**
 * B1: n chats send /whoami at once; latency is injection → the fake receiving the reply. fleetbot and
 * a minimal grammY bot each get a fake of their own (in child processes), rounds interleaved so drift
 * in the machine's load hits both alike.
 */
export const commandLatency: Benchmark = async ({ quick }) => {
  const n = quick ? 50 : 200;
  const rounds = quick ? 2 : 5;
  const chats = people(n);
  const warm = people(n, 90_000);
  const fleetFake = await startRemoteFake();
  const fleet = await startTelegramFleetbot(
    fleetFake,
    [...chats, ...warm].map((c) => c.user.id),
  );
  const minimalFake = await startRemoteFake();
  const minimal = await startMinimalBot(minimalFake);
  try {
    // Warm-up rounds at full size: JIT, SQLite statement caches, connection pools. fleetbot has more
    // code for V8 to optimise than the bare bot; one small round left its first measured rounds at
    // up to twice the CPU of its later ones, which measured the JIT rather than the bot.
    await repeat(quick ? 1 : 3, async () => {
      await fleetFake.burst(warm, '/whoami');
      await minimalFake.burst(warm, '/whoami');
    });
    const results = await repeat(rounds, async () => {
      const cpu0 = process.cpuUsage();
      const ours = await fleetFake.burst(chats, '/whoami');
      const cpu1 = process.cpuUsage();
      const base = await minimalFake.burst(chats, '/whoami');
      const cpu2 = process.cpuUsage();
      return {
        fleetCpuMs: cpuMs(cpu0, cpu1),
        baseCpuMs: cpuMs(cpu1, cpu2),
        fleetP99: percentile(ours, 99),
        fleetP50: percentile(ours, 50),
        baseP99: percentile(base, 99),
        baseP50: percentile(base, 50),
      };
    });
    const fleetP99 = median(results.map((r) => r.fleetP99));
    const baseP99 = median(results.map((r) => r.baseP99));
    return [
      {
        id: 'B1',
        what: `/whoami → first reply, p99 over ${n} chats at once`,
        measured: fleetP99,
        unit: 'ms',
        target: 50,
        detail: { rounds: results },
      },
      {
        id: 'B1',
        what: 'p99 ratio to a minimal grammY bot',
        measured: fleetP99 / Math.max(baseP99, 1),
        unit: '×',
        target: 1.5,
        detail: { fleetP99, baseP99 },
      },
    ];
  } finally {
    await minimal.stop();
    await minimalFake.close();
    await fleet.stop();
    await fleetFake.close();
  }
};
