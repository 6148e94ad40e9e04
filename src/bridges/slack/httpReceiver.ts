import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTPResponseAck, isValidSlackRequest, type App, type Receiver } from '@slack/bolt';
import { z } from 'zod';
import type { Clock } from '../../core/runtime/clock.js';
import type { HttpServer } from '../../core/runtime/httpServer.js';
import type { Logger } from '../../core/runtime/logging.js';
import { slackLogger } from './logger.js';

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Slack signs each request as it sends it; a timestamp further off than this is a replay or a forgery (Slack's own check). */
const maxSkewSeconds = 5 * 60;
/**
 * The largest delivery Slack makes to fleetbot is a message event: at most 40,000 characters of text,
 * carried twice (as `text` and as rich_text blocks), at up to 4 bytes each, plus the envelope. A
 * slash command or a press on one of fleetbot's own cards is far smaller.
 */
export const maxSlackBodyBytes = 512 * 1024;
/** Slack's deliveries are small and answered within 3 s; more open at once is a flood (503 makes Slack retry events). */
export const maxSlackInFlight = 8;

/**
 * What can be checked before the body is read: both signature headers present, a `v0` signature of the
 * right shape and a fresh timestamp. Whoever lacks them never gets a byte of their body read; the
 * signature itself covers the body, so it is checked once the (capped) body is in.
 */
const signedRecently =
  (clock: Clock) =>
  (req: IncomingMessage): boolean => {
    const timestamp = header(req, 'x-slack-request-timestamp') ?? '';
    const signature = header(req, 'x-slack-signature') ?? '';
    return (
      /^\d{1,12}$/.test(timestamp) &&
      Math.abs(clock.now() / 1000 - Number(timestamp)) <= maxSkewSeconds &&
      /^v0=[0-9a-f]{64}$/.test(signature)
    );
  };

const body = z.record(z.string(), z.unknown());

/**
 * Slack's form bodies are exactly `application/x-www-form-urlencoded`: interactivity sends one field,
 * `payload`, holding JSON; slash commands send their fields. Events come as JSON.
 */
function parseBody(req: IncomingMessage, raw: string): Record<string, unknown> | undefined {
  try {
    const type = (header(req, 'content-type') ?? '').split(';')[0]!.trim();
    if (type === 'application/json') return body.parse(JSON.parse(raw));
    if (type !== 'application/x-www-form-urlencoded') return undefined;
    const fields = Object.fromEntries(new URLSearchParams(raw));
    return typeof fields.payload === 'string' ? body.parse(JSON.parse(fields.payload)) : fields;
  } catch {
    return undefined;
  }
}

const reply = (res: ServerResponse, status: number, json?: unknown): void => {
  if (json === undefined) res.writeHead(status).end();
  else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
};

/**
 * Bolt's receiver for HTTP mode, on fleetbot's shared HTTP server rather than a server of its own:
 * requests without fresh signature headers get 401 unread, bodies over Slack's size 413, a flood 503;
 * a body whose signature does not match gets 401, and each delivery is acknowledged by its listener.
 */
export function createSharedHttpReceiver(opts: {
  http: HttpServer;
  path: string;
  signingSecret: string;
  clock: Clock;
  log: Logger;
}): Receiver {
  let app: App | undefined;
  const logger = slackLogger(opts.log);

  const handle = async (req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> => {
    const text = raw.toString('utf8');
    const valid = isValidSlackRequest({
      signingSecret: opts.signingSecret,
      body: text,
      headers: {
        'x-slack-signature': header(req, 'x-slack-signature') ?? '',
        'x-slack-request-timestamp': Number(header(req, 'x-slack-request-timestamp') ?? 0),
      },
      nowMilliseconds: opts.clock.now(),
      logger,
    });
    if (!valid) {
      opts.log.warn('refused a Slack request with a missing, wrong or stale signature');
      reply(res, 401);
      return;
    }
    const parsed = parseBody(req, text);
    if (!parsed) {
      reply(res, 400);
      return;
    }
    if (parsed.ssl_check !== undefined) return reply(res, 200);
    if (parsed.type === 'url_verification') return reply(res, 200, { challenge: parsed.challenge });
    if (!app) return reply(res, 503);
    const ack = new HTTPResponseAck({
      logger,
      processBeforeResponse: false,
      httpRequest: req,
      httpRequestBody: parsed,
      httpResponse: res,
    });
    const retryNum = Number(header(req, 'x-slack-retry-num'));
    const retryReason = header(req, 'x-slack-retry-reason');
    await app.processEvent({
      body: parsed,
      ack: ack.bind(),
      ...(Number.isInteger(retryNum) ? { retryNum } : {}),
      ...(retryReason ? { retryReason } : {}),
    });
  };

  return {
    init(a: App) {
      app = a;
    },
    async start() {
      opts.http.route('POST', opts.path, handle, {
        authorize: signedRecently(opts.clock),
        maxBodyBytes: maxSlackBodyBytes,
        maxInFlight: maxSlackInFlight,
      });
    },
    // The shared server belongs to the process; requests after stop find no app and get 503.
    async stop() {
      app = undefined;
    },
  };
}
