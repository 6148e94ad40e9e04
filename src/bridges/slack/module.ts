import { z } from 'zod';
import { errorMessage } from '../../core/runtime/errors.js';
import { defineBridgeModule } from '../module.js';
import { createLazySlackBridge } from './lazy.js';

export type SlackSettings = {
  botToken: string;
  apiUrl: string;
  mode: { kind: 'socket'; appToken: string } | { kind: 'http'; signingSecret: string };
};

const variables = {
  SLACK_BOT_TOKEN: {
    schema: z
      .string()
      .regex(/^xoxb-[A-Za-z0-9-]{10,250}$/, 'a Slack bot token looks like xoxb-…')
      .optional(),
    example: 'xoxb-0000000000-0000000000000-ExampleBotToken',
    secret: true,
    help: 'Slack bot token (xoxb-…, OAuth & Permissions); enables the Slack bridge.',
  },
  SLACK_APP_TOKEN: {
    schema: z
      .string()
      .regex(/^xapp-[A-Za-z0-9-]{10,250}$/, 'a Slack app-level token looks like xapp-…')
      .optional(),
    example: 'xapp-1-A0000000000-0000000000000-ExampleAppToken',
    secret: true,
    help: 'App-level token (xapp-…, scope connections:write) for Socket Mode, which needs no public URL.',
  },
  SLACK_SIGNING_SECRET: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9]{16,128}$/, 'the signing secret from the app’s Basic Information page')
      .optional(),
    example: '0123456789abcdef0123456789abcdef',
    secret: true,
    help: 'Signing secret for HTTP mode (when SLACK_APP_TOKEN is unset): Slack posts to /slack/events on FLEETBOT_HTTP_PORT.',
  },
  SLACK_API_URL: {
    schema: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .default('https://slack.com/api/')
      .transform((u) => u.replace(/\/*$/, '/')),
    example: 'https://slack.com/api/',
    help: 'Slack Web API base, also used to open Socket Mode connections (a proxy or a test fake).',
  },
};

const authTest = z.object({
  ok: z.boolean(),
  error: z.string().optional(),
  user: z.string().optional(),
  team: z.string().optional(),
});

/** Slack through Bolt: Socket Mode with an app-level token, else HTTP mode on the shared server. */
export const slackModule = defineBridgeModule({
  name: 'slack',
  variables,
  crossCheck: (v) => {
    if (v.SLACK_BOT_TOKEN) {
      if (!v.SLACK_APP_TOKEN && !v.SLACK_SIGNING_SECRET)
        return [
          `SLACK_BOT_TOKEN: set SLACK_APP_TOKEN for Socket Mode (no public URL needed), or SLACK_SIGNING_SECRET and FLEETBOT_HTTP_PORT for HTTP mode; example: SLACK_APP_TOKEN=${variables.SLACK_APP_TOKEN.example}`,
        ];
      if (!v.SLACK_APP_TOKEN && !v.FLEETBOT_HTTP_PORT)
        return ['SLACK_SIGNING_SECRET: HTTP mode needs FLEETBOT_HTTP_PORT; example: FLEETBOT_HTTP_PORT=8080'];
    } else if (v.SLACK_APP_TOKEN || v.SLACK_SIGNING_SECRET) {
      return [
        `SLACK_BOT_TOKEN: the Slack bridge needs its bot token too; example: SLACK_BOT_TOKEN=${variables.SLACK_BOT_TOKEN.example}`,
      ];
    }
    return [];
  },
  /** Socket Mode when there is an app-level token, else HTTP mode; crossCheck refused anything else. */
  settings: (v): SlackSettings | undefined => {
    if (!v.SLACK_BOT_TOKEN) return undefined;
    const base = { botToken: v.SLACK_BOT_TOKEN, apiUrl: v.SLACK_API_URL };
    if (v.SLACK_APP_TOKEN) return { ...base, mode: { kind: 'socket', appToken: v.SLACK_APP_TOKEN } };
    if (v.SLACK_SIGNING_SECRET)
      return { ...base, mode: { kind: 'http', signingSecret: v.SLACK_SIGNING_SECRET } };
    return undefined;
  },
  doctor: [
    {
      name: 'slack',
      run: async (slack) => {
        try {
          // Only `fleetbot doctor` asks; a start does not load undici for it (B7 in BENCHMARKS.md).
          const { request } = await import('undici');
          const res = await request(`${slack.apiUrl}auth.test`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${slack.botToken}`,
              'content-type': 'application/x-www-form-urlencoded',
            },
            body: '',
            signal: AbortSignal.timeout(10_000),
          });
          const body = authTest.parse(await res.body.json());
          if (!body.ok) {
            return {
              ok: false,
              detail: `SLACK_BOT_TOKEN was refused (${body.error ?? `HTTP ${res.statusCode}`})`,
              fix: 'copy the Bot User OAuth Token (xoxb-…) again from the app’s OAuth & Permissions page',
            };
          }
          return {
            ok: true,
            detail: `token works: the bot is @${body.user ?? '?'} in ${body.team ?? 'the workspace'}`,
          };
        } catch (err) {
          return {
            ok: false,
            detail: `cannot reach the Slack API at ${slack.apiUrl}: ${errorMessage(err)}`,
            fix: 'check the network, or SLACK_API_URL',
          };
        }
      },
    },
  ],
  create: (settings, { metrics, ...shared }) => {
    const { mode } = settings;
    const receiving =
      mode.kind === 'socket' ? mode : shared.http ? { ...mode, http: shared.http } : undefined;
    if (!receiving) throw new Error('Slack HTTP mode needs FLEETBOT_HTTP_PORT');
    return createLazySlackBridge({
      botToken: settings.botToken,
      apiUrl: settings.apiUrl,
      mode: receiving,
      commandNames: shared.menu.map((c) => c.command),
      log: shared.log,
      clock: shared.clock,
      onFatal: shared.onFatal,
      ...(metrics ? { observe: (method, outcome) => metrics.chatCall('slack', method, outcome) } : {}),
    });
  },
});
