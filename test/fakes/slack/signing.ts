import { createHmac } from 'node:crypto';
import { request } from 'undici';
import type { Delivery } from './payloads.js';

export type Signature = 'valid' | 'wrong' | 'stale' | 'missing';

/** The body exactly as Slack sends each kind: forms for commands and presses, JSON for events. */
function encode(delivery: Delivery): { body: string; contentType: string } {
  if (delivery.kind === 'events_api')
    return { body: JSON.stringify(delivery.payload), contentType: 'application/json' };
  const form =
    delivery.kind === 'interactive'
      ? new URLSearchParams({ payload: JSON.stringify(delivery.payload) })
      : new URLSearchParams(delivery.payload as Record<string, string>);
  // Exactly this type: Bolt treats `; charset=…` as JSON (wire-protocols.md §2.4).
  return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' };
}

export const sign = (secret: string, timestamp: number, body: string): string =>
  `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;

/** Posts a delivery to the app as Slack's servers would, signed (or deliberately not). */
export async function postSigned(
  url: string,
  secret: string,
  delivery: Delivery,
  opts: { signature?: Signature; retryNum?: number } = {},
): Promise<{ status: number; body: string; ms: number }> {
  const { body, contentType } = encode(delivery);
  const signature = opts.signature ?? 'valid';
  const timestamp = Math.floor(Date.now() / 1000) - (signature === 'stale' ? 6 * 60 : 0);
  const headers: Record<string, string> = { 'content-type': contentType };
  if (signature !== 'missing') {
    headers['x-slack-request-timestamp'] = String(timestamp);
    headers['x-slack-signature'] = sign(signature === 'wrong' ? `${secret}x` : secret, timestamp, body);
  }
  if (opts.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(opts.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  const started = Date.now();
  const res = await request(url, { method: 'POST', headers, body });
  return { status: res.statusCode, body: await res.body.text(), ms: Date.now() - started };
}
