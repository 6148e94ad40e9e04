import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Provider } from '../src/core/fleet/provider.js';
import { useCleanups } from './support/cleanups.js';
import { silentLog, tempDir, testConfig } from './support/env.js';
import { memoryBridge } from './support/memoryBridge.js';
import { createFleetbot } from '../src/main.js';
import type { Inbound } from '../src/core/chat/types.js';
import { alive } from './support/process.js';

describe('reconciliation', () => {
  const defer = useCleanups();
  const team = { platform: 'telegram' as const, chatId: '-100' };
  const admin = { platform: 'telegram' as const, userId: '1' };
  const command = (text: string): Inbound => ({
    kind: 'command',
    chat: team,
    user: admin,
    direct: false,
    text,
    at: new Date(),
  });

  async function setup(env: Record<string, string> = {}, providers: Provider[] = []) {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const mem = memoryBridge('telegram');
    const bot = await createFleetbot(
      testConfig(tmp.dir, {
        FLEETBOT_ADMINS: 'telegram:1',
        FLEETBOT_CHATS: 'telegram:-100',
        FLEETBOT_ORPHAN_AGE: '0',
        ...env,
      }),
      {
        bridges: [mem.bridge],
        log: silentLog,
        providers,
        providerSettings: { local: { healthDeadlineMs: 10_000, stopGraceMs: 2_000, pollIntervalMs: 50 } },
      },
    );
    defer(async () => {
      await bot.idle();
      await bot.stop();
    });
    await mem.inject(command('/alerts on all'));
    return { bot, mem };
  }

  it('reports an agent folder no record owns, with a Delete button that stops its process and removes it', async () => {
    const { bot, mem } = await setup();
    await mem.inject(command('/deploy swe ghost'));
    await bot.idle();
    const agent = bot.store.agents.live('ghost')!;
    const { pid, dir } = agent.resources as { pid: number; dir: string };
    // The record is lost (say, a restore from an old backup), the process and folder are not.
    bot.store.agents.update(agent.id, { status: 'destroyed' });

    expect(await bot.reconciler.run()).toEqual({ orphans: 1, lost: 0 });
    const card = mem.last()!;
    expect(mem.texts().at(-1)).toMatch(
      /^🧐 agent folder ghost-\d+-[a-z0-9]+ with a running process on local belongs to no agent\n/,
    );
    const [del, keep] = card.versions[0]!.buttons![0]!;
    expect([del!.label, keep!.label]).toEqual(['Delete', 'Keep']);
    expect(await bot.reconciler.run()).toEqual({ orphans: 0, lost: 0 }); // reported once

    const press = (actionId: string, userId: string) =>
      mem.inject({
        kind: 'action',
        chat: team,
        user: { platform: 'telegram', userId },
        direct: false,
        message: card.ref,
        actionId,
        at: new Date(),
      });
    expect(await press(del!.id, '42')).toMatchObject({ text: 'This needs the admin level; you are viewer.' });
    expect(alive(pid)).toBe(true);
    expect(await press(del!.id, '1')).toEqual({ text: 'Deleted.' });
    expect(alive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(mem.texts().at(-1)).toMatch(
      /^Deleted agent folder ghost-\d+-[a-z0-9]+ with a running process on local \(telegram:1, \d\d:\d\d UTC\)\.$/,
    );
  });

  it('deletes orphans by itself only when told to, and marks agents whose resources vanished as lost', async () => {
    let removed: string[] = [];
    const cloud: Provider = {
      name: 'cloud',
      deployPlan: () => [],
      restartPlan: () => [],
      destroyPlan: () => [],
      status: async () => ({ state: 'healthy', detail: 'ok' }),
      logs: async () => [],
      findRunning: async (agents) => agents.map((agent) => ({ agent, running: true, detail: 'ok' })),
      inventory: async (agents) => ({
        found: [{ id: 'server 9', description: 'server fleetbot-old (9)', createdAt: 0 }],
        lost: agents.map((agent) => ({ agent, detail: 'its server 7 no longer exists' })),
      }),
      removeFound: async (found) => void (removed = [...removed, found.id]),
    };
    const { bot, mem } = await setup({ FLEETBOT_RECONCILE_AUTODELETE: 'true' }, [cloud]);
    const agent = bot.store.agents.create({
      name: 'alice',
      role: 'swe',
      provider: 'cloud',
      owner: 'telegram:1',
    });
    bot.store.agents.update(agent.id, { status: 'running', resources: { serverId: 7 } });

    expect(await bot.reconciler.run()).toEqual({ orphans: 1, lost: 1 });
    expect(removed).toEqual(['server 9']);
    expect(mem.texts()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^🧹 Deleted an orphan: server fleetbot-old \(9\) on cloud, \d+ d old, that no agent owned\.$/,
        ),
        '⚠️ alice is lost: its server 7 no longer exists. /destroy alice clears its record and whatever is left.',
      ]),
    );
    expect(bot.store.agents.live('alice')).toMatchObject({
      status: 'lost',
      resources: { serverId: 7, lost: 'its server 7 no longer exists' },
    });
    expect(await bot.reconciler.run()).toEqual({ orphans: 0, lost: 0 }); // a lost agent is reported once
    await mem.inject(command('/list'));
    expect(mem.texts().at(-1)).toContain('alice swe · cloud · lost');
    await mem.inject(command('/status alice'));
    expect(mem.texts().at(-1)).toBe(
      [
        'alice · swe on cloud · lost',
        'Its machine is gone: its server 7 no longer exists.',
        '/destroy alice clears its record and whatever is left; then /deploy swe alice makes a new one.',
      ].join('\n'),
    );
  });
});
