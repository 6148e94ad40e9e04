import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanups } from './support/cleanups.js';
import { startConsoleBot } from './support/consoleSession.js';
import { tempDir } from './support/env.js';

/**
 * Roles whose agent has no daemon, as the coding CLIs: `cli` speaks ACP (the reference agent's ACP
 * side), `mute` exits at once, as a CLI without its API key does.
 */
function rolesDir(): string {
  // Beside the data folder, never in it: the sandbox refuses agent code that would show fleetbot's.
  const dir = tempDir('fleetbot-roles-').dir;
  const roles = path.join(dir, 'roles');
  mkdirSync(roles);
  symlinkSync(path.resolve('templates/agent'), path.join(dir, 'agent'));
  writeFileSync(
    path.join(roles, 'cli.yaml'),
    'name: cli\ndescription: A coding CLI\nchat: { protocol: acp, command: [node, ../agent/acp.mjs] }\n',
  );
  writeFileSync(
    path.join(roles, 'mute.yaml'),
    `name: mute\ndescription: A CLI without its key\nchat:\n  protocol: acp\n  command: [node, -e, "console.error('no API key configured'); process.exit(3)"]\n`,
  );
  return roles;
}

describe('an agent without a daemon', () => {
  const defer = useCleanups();

  it('deploys without starting anything, checks it answers, is talked to, and is probed on the slower interval', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const s = await startConsoleBot(tmp.dir, { FLEETBOT_ROLES_DIR: rolesDir() });
    defer(() => s.stop());

    await s.type('/deploy cli bob');
    const card = s.find(/Deploy bob/)!.versions.at(-1)!;
    expect(card).toMatch(/^✅ Done: Deploy bob/);
    expect(card).toContain('✅ Prepare agent folder');
    expect(card).toContain('✅ Check it answers over acp');
    expect(card).not.toMatch(/Start agent process|Wait for health/);
    expect(card).toContain('Talk to it: /ask bob');
    const bob = s.bot.store.agents.live('bob')!;
    expect(bob).toMatchObject({ status: 'running' });
    expect(bob.url).toBeNull();
    expect(bob.resources.pid).toBeUndefined();

    await s.type('/status bob');
    expect(s.lastText()).toMatch(
      /Talk to it: \/ask bob <prompt>\n✅ healthy: no daemon; it runs when spoken to; its acp command starts and answers/,
    );

    await s.type('/ask bob list');
    await s.shows(/\. holds:\n- home/);

    // The monitor starts the command only every FLEETBOT_PROBE_INTERVAL, not every health cycle.
    expect((await s.bot.monitor.cycle()).checked).toBe(1);
    expect(s.bot.store.health.get(bob.id)).toMatchObject({ state: 'healthy' });
    expect((await s.bot.monitor.cycle()).checked).toBe(0);

    await s.type('/restart bob');
    const restart = s.find(/Restart bob/)!.versions.at(-1)!;
    expect(restart).toMatch(/^✅ Done: Restart bob/);
    expect(restart).toContain('✅ Stop its conversations');
    expect(restart).toContain('✅ Check it answers over acp');

    const dir = String(bob.resources.dir);
    await s.type('/destroy bob');
    await s.type(/\[(\d+)\] Approve destroy/.exec(s.lastText())![1]!);
    expect(s.find(/Destroy bob · job/)!.versions.at(-1)).toMatch(/^✅ Done: Destroy bob/);
    expect(existsSync(dir)).toBe(false);
  }, 60_000);

  it('fails a deploy whose command does not answer, with its own words, and leaves nothing', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const s = await startConsoleBot(tmp.dir, { FLEETBOT_ROLES_DIR: rolesDir() });
    defer(() => s.stop());

    await s.type('/deploy mute carol');
    const card = s.find(/Deploy carol/)!.versions.at(-1)!;
    expect(card).toMatch(/^❌ Failed, rolled back: Deploy carol/);
    expect(card).toMatch(
      /❌ Check it answers over acp: carol's chat did not start: it exited with code 3\. Its last output: no API key configured/,
    );
    expect(s.bot.store.agents.live('carol')).toBeUndefined();
  }, 60_000);
});
