import { Api, GrammyError } from 'grammy';
import { z } from 'zod';
import { apiBase } from '../../config/variables.js';
import { errorMessage } from '../../core/runtime/errors.js';
import { defineBridgeModule } from '../module.js';
import { createTelegramBridge } from './index.js';

export type TelegramSettings = { token: string; apiRoot: string; webhook?: { url: string; secret: string } };

const variables = {
  TELEGRAM_BOT_TOKEN: {
    schema: z
      .string()
      .regex(/^\d{1,20}:[A-Za-z0-9_-]{1,100}$/, 'a bot token from @BotFather looks like 123456789:AAE...')
      .optional(),
    example: '123456789:AAExampleTokenFromBotFather',
    secret: true,
    help: 'Telegram bot token from @BotFather; enables the Telegram bridge.',
  },
  TELEGRAM_API_ROOT: {
    schema: apiBase('https://api.telegram.org'),
    example: 'https://api.telegram.org',
    help: 'Bot API server (a local Bot API server or a proxy).',
  },
  TELEGRAM_WEBHOOK_URL: {
    schema: z
      .url({ protocol: /^https$/, error: 'must be the public https URL Telegram should post to' })
      .optional(),
    example: 'https://bot.example.com/telegram',
    help: 'Public URL for webhook mode (needs TELEGRAM_WEBHOOK_SECRET and FLEETBOT_HTTP_PORT); long polling when unset.',
  },
  TELEGRAM_WEBHOOK_SECRET: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,256}$/, '16-256 characters of A-Z, a-z, 0-9, _ and -')
      .optional(),
    example: 'a-long-random-string-0123456789',
    secret: true,
    help: 'Secret Telegram sends with every webhook request; others are refused.',
  },
};

/** Telegram through grammY, by long polling or, with a public URL, a webhook. */
export const telegramModule = defineBridgeModule({
  name: 'telegram',
  variables,
  crossCheck: (v) => {
    const problems: string[] = [];
    if (!v.TELEGRAM_WEBHOOK_URL) return problems;
    if (!v.TELEGRAM_BOT_TOKEN)
      problems.push('TELEGRAM_WEBHOOK_URL: set TELEGRAM_BOT_TOKEN too, or remove the webhook URL');
    if (!v.TELEGRAM_WEBHOOK_SECRET)
      problems.push(
        `TELEGRAM_WEBHOOK_URL: webhook mode needs TELEGRAM_WEBHOOK_SECRET so forged updates are refused; example: TELEGRAM_WEBHOOK_SECRET=${variables.TELEGRAM_WEBHOOK_SECRET.example}`,
      );
    if (!v.FLEETBOT_HTTP_PORT)
      problems.push(
        'TELEGRAM_WEBHOOK_URL: webhook mode needs FLEETBOT_HTTP_PORT; example: FLEETBOT_HTTP_PORT=8080',
      );
    return problems;
  },
  settings: (v): TelegramSettings | undefined =>
    v.TELEGRAM_BOT_TOKEN
      ? {
          token: v.TELEGRAM_BOT_TOKEN,
          apiRoot: v.TELEGRAM_API_ROOT,
          ...(v.TELEGRAM_WEBHOOK_URL && v.TELEGRAM_WEBHOOK_SECRET
            ? { webhook: { url: v.TELEGRAM_WEBHOOK_URL, secret: v.TELEGRAM_WEBHOOK_SECRET } }
            : {}),
        }
      : undefined,
  doctor: [
    {
      name: 'telegram',
      run: async (settings) => {
        const api = new Api(settings.token, { apiRoot: settings.apiRoot });
        try {
          const me = await api.getMe(AbortSignal.timeout(10_000) as Parameters<Api['getMe']>[0]);
          return { ok: true, detail: `token works: the bot is @${me.username}` };
        } catch (err) {
          if (err instanceof GrammyError && err.error_code === 401) {
            return {
              ok: false,
              detail: 'TELEGRAM_BOT_TOKEN was refused (401)',
              fix: 'get the token again from @BotFather (/token) and set TELEGRAM_BOT_TOKEN',
            };
          }
          return {
            ok: false,
            detail: `cannot reach the Bot API at ${settings.apiRoot}: ${errorMessage(err)}`,
            fix: 'check the network, or TELEGRAM_API_ROOT if you use a local Bot API server',
          };
        }
      },
    },
  ],
  create: (settings, { metrics, ...shared }) =>
    createTelegramBridge({
      token: settings.token,
      apiRoot: settings.apiRoot,
      log: shared.log,
      clock: shared.clock,
      menus: { member: shared.menuFor('viewer'), admin: shared.menuFor('admin') },
      onFatal: shared.onFatal,
      ...(metrics ? { observe: (method, outcome) => metrics.chatCall('telegram', method, outcome) } : {}),
      ...(settings.webhook && shared.http ? { webhook: { ...settings.webhook, http: shared.http } } : {}),
    }),
});
