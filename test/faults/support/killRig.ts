import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startFakeTelegram } from '../../fakes/telegram/index.js';
import { tempDir } from '../../support/env.js';
import { startHetznerCloud, type HetznerCloud } from '../../support/hetznerCloud.js';
import type { MachineDirectory } from '../../support/machineDirectory.js';
import { ann } from '../../support/telegramSession.js';
import type { ChildSetup } from './hetznerBotChild.js';

const childEntry = path.resolve('test/faults/support/hetznerBotChild.ts');

/** A role like swe that boots from the fake's stock Ubuntu image, so no golden image needs building. */
function writeRole(dir: string, cloud: HetznerCloud): string {
  const ubuntu = cloud.hetzner.images().find((i) => i.name === 'ubuntu-24.04')!;
  const swe = readFileSync('templates/roles/swe.yaml', 'utf8');
  if (!swe.includes('snapshot: fleetbot-swe')) throw new Error('templates/roles/swe.yaml changed');
  mkdirSync(path.join(dir, 'roles'));
  // The reference agent's files, its ACP side included, which a deploy uploads beside it.
  cpSync('templates/agent', path.join(dir, 'agent'), { recursive: true });
  writeFileSync(path.join(dir, 'roles/swe.yaml'), swe.replace('fleetbot-swe', `"${ubuntu.id}"`));
  return path.join(dir, 'roles');
}

/**
 * The fakes (Telegram, Hetzner, Cloudflare, machines) live in this process and survive a kill; the bot
 * runs in a child that can be SIGKILLed and started again on the same data folder.
 */
export async function startKillRig() {
  const tmp = tempDir('fleetbot-kills-');
  const dataDir = path.join(tmp.dir, 'data');
  const directoryFile = path.join(tmp.dir, 'machines.json');
  const publish = (d: MachineDirectory): void => {
    writeFileSync(`${directoryFile}.tmp`, JSON.stringify(d));
    renameSync(`${directoryFile}.tmp`, directoryFile);
  };
  publish({ ssh: {}, https: {} });
  const cloud = await startHetznerCloud({ onChange: publish });
  const telegram = await startFakeTelegram();
  const rolesDir = writeRole(tmp.dir, cloud);
  const created = { servers: 0, records: 0 };
  const machineHook = cloud.hetzner.onServerCreated;
  /** Run inside the fakes' create handlers, after the resource exists and before the answer goes out. */
  const during = {
    server: async (): Promise<void> => undefined,
    record: async (): Promise<void> => undefined,
  };
  cloud.hetzner.onServerCreated = async (server) => {
    created.servers++;
    await machineHook?.(server);
    await during.server();
  };
  cloud.cloudflare.onRecordCreated = async () => {
    created.records++;
    await during.record();
  };
  let started = 0;
  let logs = '';
  /** Bots still running, each with the promise of its exit. */
  const children = new Map<ChildProcess, Promise<number | null>>();

  /** Starts the bot; with pauseAt it stops before that step (or undo) and resolves `paused` there. */
  const startBot = (pauseAt?: string) => {
    const setup: ChildSetup = {
      endpoints: cloud.endpoints,
      directory: directoryFile,
      ...(pauseAt ? { pauseAt } : {}),
    };
    const child = spawn(process.execPath, ['--import', 'tsx', childEntry], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: {
        PATH: process.env.PATH,
        FLEETBOT_DATA_DIR: dataDir,
        FLEETBOT_ROLES_DIR: rolesDir,
        FLEETBOT_ADMINS: `telegram:${ann.id}`,
        FLEETBOT_CONSOLE: 'off',
        // The monitor would look the agents' public names up for real; these runs end long before.
        FLEETBOT_HEALTH_INTERVAL: '1h',
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.apiRoot,
        LOG_LEVEL: 'warn',
        KILLS_SETUP: JSON.stringify(setup),
      },
    });
    const name = `bot ${++started}${pauseAt ? ` (stops before ${pauseAt})` : ''}`;
    child.stderr!.on('data', (chunk: Buffer) => (logs += `${name}: ${chunk.toString('utf8')}`));
    const exited = once(child, 'exit').then(([code]) => {
      children.delete(child);
      return code as number | null;
    });
    children.set(child, exited);
    const paused = new Promise<string>((resolve) =>
      child.on('message', (m: { pausedAt?: string }) => m.pausedAt && resolve(m.pausedAt)),
    );
    return {
      child,
      paused,
      exited,
      /** kill -9: no shutdown, no flush, whatever was mid-flight stays so. */
      async kill(): Promise<void> {
        child.kill('SIGKILL');
        await exited;
      },
    };
  };

  /** The store as the bot left it, read-only. */
  const query = <T>(sql: string): T[] => {
    const db = new Database(path.join(dataDir, 'fleetbot.db'), { readonly: true });
    try {
      return db.prepare<[], T>(sql).all();
    } finally {
      db.close();
    }
  };

  return {
    cloud,
    telegram,
    created,
    during,
    startBot,
    query,
    /** The deploy job's status, or undefined before it exists. */
    jobStatus: (): string | undefined =>
      existsSync(path.join(dataDir, 'fleetbot.db'))
        ? query<{ status: string }>('SELECT status FROM jobs')[0]?.status
        : undefined,
    /** What every bot wrote to stderr (warnings and errors), for a failing test's report. */
    logs: () => logs,
    async close(): Promise<void> {
      const running = [...children];
      for (const [child] of running) child.kill('SIGKILL');
      await Promise.all(running.map(([, exited]) => exited));
      await cloud.close();
      await telegram.close();
      tmp.cleanup();
    },
  };
}
export type KillRig = Awaited<ReturnType<typeof startKillRig>>;
export type BotProcess = ReturnType<KillRig['startBot']>;
