import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { checkHealth } from '../../src/core/fleet/healthCheck.js';
import { createHttpServer } from '../../src/core/runtime/httpServer.js';
import { createLogger } from '../../src/core/runtime/logging.js';
import { agentWithLog } from '../support/agents.js';
import { startChatBot } from '../support/chatBot.js';
import { useCleanups } from '../support/cleanups.js';
import { silentLog, tempDir } from '../support/env.js';
import { hostileHealth } from '../support/hostileHealth.js';
import { selfNamedLogLines, spoofedDeployFailure } from '../support/journalSpoof.js';
import { answerBeforeBody, outsideAddress } from '../support/httpProbe.js';
import { memoryBridge } from '../support/memoryBridge.js';
import { ann as slackAnn, annDm as slackAnnDm, startSlackBot } from '../support/slackSession.js';
import { ann, annDm, telegramSessions } from '../support/telegramSession.js';
import { attempted } from './tally.js';

// Attacks on fleetbot's own process: what an agent sends back (health answers, output), what a
// stranger sends to its HTTP port, and what another Unix user on the host can read.

const invisible = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
const isRoot = process.getuid?.() === 0;

describe('an agent against fleetbot’s process', () => {
  const defer = useCleanups();
  const sessions = telegramSessions();

  it('answers health with a 150 MiB body', async () => {
    const agent = await hostileHealth({ chunked: true, bytes: 150 * 1024 * 1024 });
    defer(agent.close);
    const rssBefore = process.memoryUsage().rss;
    const health = await checkHealth(agent.url, { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 200));
    const grewMiB = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    const readMiB = agent.sent() / 1024 / 1024;
    attempted(
      `health answered with 150 MiB (fleetbot took ${readMiB.toFixed(1)} MiB, RSS +${grewMiB.toFixed(0)} MiB, ${health.state})`,
      health.state === 'healthy' || readMiB > 16 || grewMiB > 64,
    );
    expect(health.detail).toMatch(/more than 64 KiB/);
  });

  it('writes bidi overrides and zero-width characters into its output, read in chat with /logs', async () => {
    const s = await sessions();
    agentWithLog(s.bot.store, 'mallory', `telegram:${ann.id}`, [
      'build \u202egnirts\u202c ok',
      'pay\u200bpal.com \u2066admin\u2069 \ufeffhidden',
    ]);
    await s.say(annDm, ann, '/logs mallory');
    const shown = s.fake.messages(annDm.id).map((m) => m.text);
    attempted(
      'bidi and zero-width characters from agent output reached the chat',
      shown.some((t) => invisible.test(t)),
    );
    expect(shown.join('\n')).toContain('paypal.com admin hidden');
  });

  it('writes its journal lines as another agent, as systemd or as fleetbot', async () => {
    const card = await spoofedDeployFailure(defer);
    attempted(
      'a line logged as fleetbot-alice by another agent reached alice’s failed deploy card',
      card.includes('bob.example'),
    );
    const shown = await selfNamedLogLines(defer);
    attempted(
      'an agent’s own journal lines were shown in /logs as written by fleetbot or systemd',
      /\b(fleetbot|systemd)\[\d+\]/.test(shown.join('\n')) ||
        !shown.filter((l) => l.includes('is now admin')).every((l) => / alice: /.test(l)),
    );
  });

  it('breaks out of the code its /logs lines are shown in, on Slack', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const s = await startSlackBot(tmp.dir);
    defer(() => s.stop());
    agentWithLog(s.bot.store, 'mallory', `slack:${slackAnn.id}`, [
      'ok` then *✅ Done: telegram:666 is now admin*',
    ]);
    await s.fleet(slackAnn, slackAnnDm, 'logs mallory');
    // The mrkdwn Slack was given, with every code span taken out: what is left is read as formatting.
    const outsideCode = s.fake
      .messages(slackAnnDm)
      .flatMap((m) => m.history.at(-1)!.blocks)
      .map((b) => JSON.stringify(b).replace(/`[^`\n]+`/g, ''));
    attempted(
      'an agent’s log line left its code span in Slack and showed as fleetbot’s bold text',
      outsideCode.some((text) => text.includes('*✅ Done')),
    );
  });

  it('gets a nested secret into a log record', () => {
    let out = '';
    const log = createLogger({
      level: 'info',
      pretty: false,
      secrets: ['987654:fleetbot-own-token'],
      destination: new Writable({
        write(chunk: Buffer, _enc, done) {
          out += chunk.toString();
          done();
        },
      }),
    });
    log.warn(
      {
        agent: 'mallory',
        detail: { response: { body: { config: { headers: { authorization: 'Bearer NESTED-SECRET' } } } } },
      },
      'agent said 987654:fleetbot-own-token',
    );
    attempted(
      'a secret nested five levels deep, or fleetbot’s token in a message, reached the log',
      /NESTED-SECRET|987654:fleetbot-own-token/.test(out),
    );
  });
});

describe('a stranger against fleetbot’s HTTP port', () => {
  const defer = useCleanups();
  const sessions = telegramSessions();

  it.skipIf(!outsideAddress())(
    'reads /metrics from another address of the host (skips where there is only loopback)',
    async () => {
      const tmp = tempDir();
      defer(tmp.cleanup);
      const read = async (env: Record<string, string>, host?: string) => {
        const http = createHttpServer({ port: 0, log: silentLog, ...(host ? { host } : {}) });
        const port = await http.listen();
        defer(() => http.close());
        const mem = memoryBridge('telegram');
        const { bot } = await startChatBot(mem.bridge, tmp.dir, env, mem.sent, { http });
        defer(() => bot.stop());
        return request(`http://${outsideAddress()}:${port}/metrics`).then(
          async (r) => ({ status: r.statusCode, text: await r.body.text() }),
          () => ({ status: 0, text: '' }),
        );
      };
      const byDefault = await read({});
      attempted(
        `unauthenticated /metrics from a non-loopback address, default bind (HTTP ${byDefault.status})`,
        /fleetbot_/.test(byDefault.text),
      );
      const exposed = await read({ FLEETBOT_METRICS_TOKEN: 'metrics-token-0123456789' }, '0.0.0.0');
      attempted(
        `unauthenticated /metrics on a public bind with a token set (HTTP ${exposed.status})`,
        /fleetbot_/.test(exposed.text),
      );
    },
  );

  it('posts a 100 MiB body to the Telegram webhook without its secret', async () => {
    const http = createHttpServer({ port: 0, log: silentLog });
    const port = await http.listen();
    defer(() => http.close());
    const secret = 'webhook-secret-0123456789abcdef';
    await sessions({ webhook: { url: 'https://bot.example.com/telegram', secret, http } });
    const status = await answerBeforeBody(port, 'POST /telegram HTTP/1.1', 100 * 1024 * 1024);
    attempted(
      `fleetbot waited to buffer a stranger's 100 MiB webhook body (${status})`,
      !status.startsWith('HTTP/1.1 4'),
    );
    expect(status).toBe('HTTP/1.1 401 Unauthorized');
  });
});

describe('another Unix user on the host against fleetbot’s files', () => {
  const defer = useCleanups();

  it.skipIf(!isRoot)('reads the store and a backup as nobody (needs root to switch users)', () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    spawnSync('chmod', ['0755', tmp.dir]);
    const data = path.join(tmp.dir, 'data');
    const backup = path.join(tmp.dir, 'backup.db');
    const run = spawnSync(
      'sh',
      ['-c', `umask 022 && exec "${process.execPath}" --import tsx src/cli.ts backup "${backup}"`],
      { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, FLEETBOT_DATA_DIR: data } },
    );
    expect(run.status).toBe(0);
    for (const file of [path.join(data, 'fleetbot.db'), backup]) {
      const read = spawnSync('runuser', ['-u', 'nobody', '--', 'head', '-c', '16', file], {
        encoding: 'utf8',
      });
      attempted(
        `another user read ${path.basename(file)}`,
        read.status === 0 && read.stdout.startsWith('SQLite'),
      );
    }
  });
});
