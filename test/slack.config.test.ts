import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/index.js';
import { createBridges } from '../src/main.js';
import { silentLog } from './support/env.js';

const bot = 'xoxb-1111111111-2222222222222-SecretBotTokenValue';
const app = 'xapp-1-A0FLEET-3333333333333-SecretAppTokenValue';

describe('slack configuration', () => {
  it('uses Socket Mode with an app token, HTTP mode with a signing secret and a port', () => {
    expect(parseConfig({ SLACK_BOT_TOKEN: bot, SLACK_APP_TOKEN: app }).bridges.slack).toEqual({
      botToken: bot,
      apiUrl: 'https://slack.com/api/',
      mode: { kind: 'socket', appToken: app },
    });
    const http = parseConfig({
      SLACK_BOT_TOKEN: bot,
      SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef',
      FLEETBOT_HTTP_PORT: '8080',
      SLACK_API_URL: 'http://127.0.0.1:9/api',
    }).bridges.slack;
    expect(http).toEqual({
      botToken: bot,
      apiUrl: 'http://127.0.0.1:9/api/',
      mode: { kind: 'http', signingSecret: '0123456789abcdef0123456789abcdef' },
    });
    expect(parseConfig({}).bridges.slack).toBeUndefined();
  });

  it('names what is missing for each mode, and never echoes a token', () => {
    expect(() => parseConfig({ SLACK_BOT_TOKEN: bot })).toThrow(
      /^SLACK_BOT_TOKEN: set SLACK_APP_TOKEN for Socket Mode .*, or SLACK_SIGNING_SECRET and FLEETBOT_HTTP_PORT for HTTP mode/,
    );
    expect(() =>
      parseConfig({ SLACK_BOT_TOKEN: bot, SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef' }),
    ).toThrow(/^SLACK_SIGNING_SECRET: HTTP mode needs FLEETBOT_HTTP_PORT/);
    expect(() => parseConfig({ SLACK_APP_TOKEN: app })).toThrow(
      /^SLACK_BOT_TOKEN: the Slack bridge needs its bot token/,
    );
    try {
      parseConfig({ SLACK_BOT_TOKEN: 'xoxp-user-token-secret', SLACK_APP_TOKEN: 'secret-app' });
      expect.unreachable();
    } catch (err) {
      const text = (err as Error).message;
      expect(text).toMatch(/SLACK_BOT_TOKEN: a Slack bot token looks like xoxb-…; example/);
      expect(text).not.toMatch(/secret/);
    }
  });

  it('adds the Slack bridge next to the others', () => {
    const config = parseConfig({ SLACK_BOT_TOKEN: bot, SLACK_APP_TOKEN: app, FLEETBOT_CONSOLE: 'off' });
    const { bridges } = createBridges(config, {
      log: silentLog,
      stdin: Object.assign(new PassThrough(), { isTTY: false }),
      stdout: new PassThrough(),
      onFatal: () => undefined,
    });
    expect(bridges.map((b) => b.platform)).toEqual(['slack']);
  });
});

describe('slack app manifest', () => {
  it('asks for what the bridge uses: /fleet, mentions, DMs, threads, files, buttons, Socket Mode', async () => {
    const { readFileSync } = await import('node:fs');
    const { parse } = await import('yaml');
    const manifest = parse(readFileSync('deploy/slack/manifest.yaml', 'utf8')) as {
      features: { slash_commands: { command: string }[]; app_home: { messages_tab_enabled: boolean } };
      oauth_config: { scopes: { bot: string[] } };
      settings: {
        event_subscriptions: { bot_events: string[] };
        interactivity: { is_enabled: boolean };
        socket_mode_enabled: boolean;
      };
    };
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(['/fleet']);
    expect(manifest.features.app_home.messages_tab_enabled).toBe(true);
    expect(manifest.oauth_config.scopes.bot.sort()).toEqual([
      'app_mentions:read',
      'channels:history',
      'chat:write',
      'commands',
      'files:write',
      'groups:history',
      'im:history',
    ]);
    expect(manifest.settings.event_subscriptions.bot_events.sort()).toEqual([
      'app_mention',
      'message.channels',
      'message.groups',
      'message.im',
    ]);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.socket_mode_enabled).toBe(true);
  });
});
