import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeTelegram } from './fakes/telegram/index.js';
import { tempDir } from './support/env.js';
import { ann, annDm } from './support/telegramSession.js';
import { alive } from './support/process.js';

const tmp = tempDir('fleetbot-restart-');
afterAll(() => tmp.cleanup());

describe('a kill -9 of the bot in the middle of a deploy', () => {
  it('neither repeats the command nor loses the card, and carries on where it stopped', async () => {
    const fake = await startFakeTelegram();
    const rolesDir = path.join(tmp.dir, 'roles');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(rolesDir);
    writeFileSync(
      path.join(rolesDir, 'slow.yaml'),
      [
        'name: slow',
        'description: An agent that takes a few seconds to start',
        'agent:',
        `  command: [node, ${path.resolve('templates/agent/server.mjs')}]`,
        '  port: 3100',
        '  env: { AGENT_START_DELAY_MS: "4000" }',
      ].join('\n'),
    );
    const start = (): ChildProcess =>
      spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          PATH: process.env.PATH,
          FLEETBOT_DATA_DIR: tmp.dir,
          FLEETBOT_ROLES_DIR: rolesDir,
          FLEETBOT_ADMINS: `telegram:${ann.id}`,
          FLEETBOT_CONSOLE: 'off',
          TELEGRAM_BOT_TOKEN: fake.token,
          TELEGRAM_API_ROOT: fake.apiRoot,
          LOG_LEVEL: 'warn',
        },
      });
    try {
      const first = start();
      await fake.waitFor(() => fake.isPolling(), 15_000);
      fake.sendText({ chat: annDm, from: ann, text: '/deploy slow slowpoke' });
      await fake.waitFor(() => /⏳ Wait for health/.test(fake.lastText(annDm.id) ?? ''), 15_000);
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));

      const second = start();
      // The agent was still starting; waiting for its health is safe to repeat, so the job carries on.
      await fake.waitFor(() => /^✅ Done: Deploy slowpoke/.test(fake.lastText(annDm.id) ?? ''), 20_000);
      const card = fake.messages(annDm.id);
      expect(card).toHaveLength(1);
      expect(card[0]!.plainText).toMatch(
        /\n↻ Resumed after a restart of fleetbot\n✅ Prepare agent folder · .*\n✅ Start agent process · .*\n✅ Wait for health · /,
      );

      fake.sendText({ chat: annDm, from: ann, text: '/jobs' });
      await fake.waitFor(() => fake.messages(annDm.id).length === 2, 10_000);
      expect(fake.lastText(annDm.id)).toMatch(/^Recent jobs\n#1 deploy slowpoke · succeeded/);
      expect(fake.lastText(annDm.id)).not.toMatch(/#2/);

      const db = new Database(path.join(tmp.dir, 'fleetbot.db'), { readonly: true });
      const resources = JSON.parse(
        db.prepare<[], { resources: string }>("SELECT resources FROM agents WHERE name = 'slowpoke'").get()!
          .resources,
      ) as { pid: number; url: string };
      db.close();
      expect(alive(resources.pid)).toBe(true);
      expect(resources.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      fake.sendText({ chat: annDm, from: ann, text: '/destroy slowpoke' });
      await fake.waitFor(() => fake.messages(annDm.id).length === 3, 10_000);
      const confirm = fake.messages(annDm.id)[2]!;
      const data = confirm.replyMarkup!.inline_keyboard[0]![0]!;
      fake.pressButton({
        chat: annDm,
        from: ann,
        messageId: confirm.messageId,
        data: 'callback_data' in data ? data.callback_data : '',
      });
      await fake.waitFor(() => /^✅ Done: Destroy slowpoke/.test(fake.lastText(annDm.id) ?? ''), 15_000);
      expect(alive(resources.pid)).toBe(false);

      second.kill('SIGTERM');
      const code = await new Promise((r) => second.once('exit', r));
      expect(code).toBe(0);
      fake.assertNoViolations();
    } finally {
      await fake.close();
    }
  }, 60_000);
});
