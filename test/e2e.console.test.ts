import { existsSync } from 'node:fs';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { useCleanups } from './support/cleanups.js';
import { startConsoleBot } from './support/consoleSession.js';
import { tempDir } from './support/env.js';
import { alive } from './support/process.js';

const urlIn = (text: string): string => {
  const match = /URL: (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
  if (!match) throw new Error(`no URL in:\n${text}`);
  return match[1]!;
};

describe('deploy, use and destroy an agent from the console', () => {
  const defer = useCleanups();

  it('walks /deploy swe alice to a healthy agent, then /destroy removes it', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const s = await startConsoleBot(tmp.dir);
    defer(() => s.stop());

    await s.type('/deploy swe alice');
    const card = s.find(/Deploy alice/)!;
    // One message, edited through the phases; its last version shows every phase done and the URL.
    expect(s.messages().filter((m) => /Deploy alice/.test(m.versions[0]!))).toHaveLength(1);
    const final = card.versions.at(-1)!;
    expect(final).toMatch(/^✅ Done: Deploy alice \(swe, local\) · job #1/);
    for (const step of ['Prepare agent folder', 'Start agent process', 'Wait for health']) {
      expect(final).toMatch(new RegExp(`✅ ${step} · \\d+\\.\\d s`));
    }
    const url = urlIn(final);
    const health = await request(`${url}/health`);
    expect(health.statusCode).toBe(200);
    expect(await health.body.json()).toMatchObject({ status: 'ok', name: 'alice', role: 'swe' });

    await s.type('/list');
    expect(s.lastText()).toMatch(/alice swe · local · running · http:\/\/127\.0\.0\.1:\d+/);
    await s.type('/status alice');
    expect(s.lastText()).toContain(`URL: ${url}`);
    expect(s.lastText()).toMatch(/✅ healthy: status ok, version 0\.1\.0/);
    await s.type('/logs alice -n 5');
    expect(s.lastText()).toMatch(/Last \d+ log lines of alice/);
    expect(s.lastText()).toContain('GET /health 200');

    const agent = s.bot.store.agents.live('alice')!;
    const pid = agent.resources.pid as number;
    const dir = agent.resources.dir as string;
    expect(alive(pid)).toBe(true);

    await s.type('/destroy alice');
    expect(s.lastText()).toMatch(/Destroy alice\?/);
    expect(s.lastText()).toMatch(/\[(\d+)\] Approve destroy {3}\[(\d+)\] Cancel/);
    const confirm = /\[(\d+)\] Approve destroy/.exec(s.lastText())![1]!;
    await s.type(confirm);
    expect(s.find(/Destroy of alice approved by console:local/)).toBeDefined();
    const destroyCard = s.find(/Destroy alice · job #2/)!;
    expect(destroyCard.versions.at(-1)).toMatch(/^✅ Done: Destroy alice · job #2/);
    expect(destroyCard.versions.at(-1)).toContain('alice is gone; its name is free again.');

    expect(alive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    await expect(request(`${url}/health`)).rejects.toThrow();
    await s.type('/list --all');
    expect(s.lastText()).toMatch(/alice swe · local · destroyed/);
    await s.type('/status alice');
    expect(s.lastText()).toMatch(/alice is destroyed; the name is free/);

    // The used card cannot be pressed again.
    await s.type(confirm);
    expect(s.output()).toMatch(/No button \d+ is showing/);
  });

  it('re-adopts a running agent after the bot restarts, without starting a second one', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const first = await startConsoleBot(tmp.dir);
    await first.type('/deploy swe bob');
    const pid = first.bot.store.agents.live('bob')!.resources.pid as number;
    await first.stop();
    expect(alive(pid)).toBe(true);

    const second = await startConsoleBot(tmp.dir);
    defer(() => second.stop());
    await second.type('/status bob');
    expect(second.lastText()).toMatch(/bob · swe on local · running/);
    expect(second.lastText()).toMatch(/✅ healthy/);
    expect(second.bot.store.agents.list()).toHaveLength(1);
    expect(second.bot.store.agents.live('bob')!.resources.pid).toBe(pid);

    await second.type('/restart bob');
    expect(second.find(/Restart bob/)!.versions.at(-1)).toMatch(/^✅ Done: Restart bob/);
    const newPid = second.bot.store.agents.live('bob')!.resources.pid as number;
    expect(newPid).not.toBe(pid);
    expect(alive(pid)).toBe(false);
    expect(alive(newPid)).toBe(true);

    await second.type('/destroy bob');
    await second.type(/\[(\d+)\] Approve destroy/.exec(second.lastText())![1]!);
    expect(alive(newPid)).toBe(false);
  });

  it('marks an agent whose process died while the bot was down as stopped', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const first = await startConsoleBot(tmp.dir);
    await first.type('/deploy swe carol');
    const pid = first.bot.store.agents.live('carol')!.resources.pid as number;
    await first.stop();
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 10));

    const second = await startConsoleBot(tmp.dir);
    defer(() => second.stop());
    await second.type('/status carol');
    expect(second.lastText()).toMatch(/carol · swe on local · stopped/);
    expect(second.lastText()).toMatch(/the agent process is not running/);
    await second.type('/restart carol');
    expect(second.find(/Restart carol/)!.versions.at(-1)).toMatch(/^✅ Done: Restart carol/);
    await second.type('/destroy carol');
    await second.type(/\[(\d+)\] Approve destroy/.exec(second.lastText())![1]!);
  });
});
