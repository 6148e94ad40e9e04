import type { IncomingHttpHeaders } from 'node:http';
import { request, type Dispatcher } from 'undici';

export interface JsonResponse<T> {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or undefined for an empty body. */
  body: T;
}

export interface CallOptions {
  method?: Dispatcher.HttpMethod;
  /** Sent as `Authorization: Bearer …`; null sends no Authorization header. */
  token: string | null;
  /** Serialised as JSON with a matching Content-Type. */
  body?: unknown;
}

/**
 * One call through a real undici client, as the bot makes them; tests name the body shape they expect in
 * `T`, which is not checked here (the fakes' own response checks do that).
 */
export async function callJson<T = unknown>(url: string, options: CallOptions): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = {};
  if (options.token !== null) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await request(url, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    headers: response.headers,
    body: (text === '' ? undefined : JSON.parse(text)) as T,
  };
}
