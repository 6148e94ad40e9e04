import type { Api } from 'grammy';
import { headerEquals, type HttpHandler, type HttpServer } from '../../core/runtime/httpServer.js';
import { grammySignal } from './signal.js';
import type { UpdateReceiver } from './updates.js';

/** An update is one message or button press: far below this. */
const maxUpdateBytes = 256 * 1024;

export type WebhookOptions = { url: string; secret: string; http: HttpServer };

/**
 * Webhook mode: Telegram posts each update to `url`; a reverse proxy hands it to the shared HTTP server,
 * where only a request carrying the secret token is taken.
 */
export async function startWebhook(
  webhook: WebhookOptions,
  opts: { api: Api; signal: AbortSignal; receiver: UpdateReceiver },
): Promise<void> {
  const handle: HttpHandler = (_req, body, res) => {
    let update: unknown;
    try {
      update = JSON.parse(body.toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('not JSON');
      return;
    }
    // Answer at once: Telegram waits for this reply before sending the chat's next update.
    res.writeHead(200).end();
    opts.receiver.receive([update]);
  };
  // The secret token is checked on the headers, so a stranger's body is never read.
  webhook.http.route('POST', new URL(webhook.url).pathname, handle, {
    authorize: headerEquals('x-telegram-bot-api-secret-token', webhook.secret),
    maxBodyBytes: maxUpdateBytes,
  });
  await opts.api.setWebhook(
    webhook.url,
    // One delivery at a time keeps update ids in order, which the once-only check relies on.
    {
      secret_token: webhook.secret,
      allowed_updates: ['message', 'callback_query'],
      max_connections: 1,
    },
    grammySignal(opts.signal),
  );
}
