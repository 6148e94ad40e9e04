import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { createApiKey } from '../../src/core/access/apiKeys.js';
import { systemClock } from '../../src/core/runtime/clock.js';
import { openStore } from '../../src/core/store/index.js';
import { memoryBridge } from '../../test/support/memoryBridge.js';
import { startChatBot } from '../../test/support/chatBot.js';
import { tempDir } from '../../test/support/env.js';
import { destroyAll } from './destroyAll.js';

/** A port nothing listens on right now, for the bot to take. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * fleetbot as a service runs it (`src/cli.ts start`, a process of its own) with FLEETBOT_HTTP_PORT set,
 * over a store seeded beforehand with `agents` stopped agents (so neither the monitor nor the start's
 * recovery touches them) and an API key that may read and deploy. The per-key rate limit is at its
 * maximum: one key sends every request of the benchmark.
 */
export async function startApiFleetbot(opts: { agents: number }) {
  const tmp = tempDir('fleetbot-bench-');
  const store = openStore(path.join(tmp.dir, 'fleetbot.db'), systemClock);
  let key: string;
  try {
    store.transaction(() => {
      for (let i = 0; i < opts.agents; i++) {
        const agent = store.agents.create({
          name: `agent-${i}`,
          role: 'swe',
          provider: 'local',
          owner: 'bench',
        });
        store.agents.update(agent.id, { status: 'stopped', url: `http://127.0.0.1:${20_000 + i}` });
      }
    });
    key = createApiKey(store, {
      name: 'bench',
      scopes: ['agents:read', 'agents:deploy'],
      createdBy: 'bench',
      expiresAt: null,
    }).key;
  } finally {
    store.close();
  }
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start'], {
    env: {
      PATH: process.env.PATH ?? '',
      FLEETBOT_DATA_DIR: tmp.dir,
      FLEETBOT_HTTP_PORT: String(port),
      FLEETBOT_CONSOLE: 'off',
      FLEETBOT_RATE_LIMIT: '10000',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const onExit = (code: number | null) =>
      reject(new Error(`fleetbot exited with ${code} before ready:\n${log}`));
    child.once('exit', onExit);
    child.stderr.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-20_000);
      if (!log.includes('fleetbot is ready')) return;
      child.off('exit', onExit);
      child.stderr.removeAllListeners('data');
      child.stderr.resume();
      resolve();
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    key,
    pid: child.pid!,
    /** Stops the bot, then destroys what the benchmark deployed, so no agent process outlives it. */
    async stop(): Promise<void> {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      const { bot } = await startChatBot(memoryBridge('console').bridge, tmp.dir, {}, { length: 0 });
      await destroyAll(bot, 'console:local');
      await bot.stop();
      tmp.cleanup();
    },
  };
}
