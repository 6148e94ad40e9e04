import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/** What Chat Completions accepts from fleetbot: a conversation and `stream: true`. */
const requestSchema = z
  .object({
    model: z.string().min(1).optional(),
    messages: z
      .array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() }).strict())
      .min(1),
    stream: z.literal(true),
  })
  .strict();

export type ChatRequest = { headers: IncomingHttpHeaders; body: z.output<typeof requestSchema> };

/** How the fake answers one request: SSE data payloads in order, or an HTTP error, or silence. */
export type Script =
  { events: (string | object)[]; done?: boolean; hold?: boolean } | { status: number; error: string };

/** A `chat.completion.chunk` as OpenAI-compatible servers stream it. */
export const chunk = (content: string | null, finish: string | null = null) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1_700_000_000,
  model: 'fake-model',
  choices: [
    { index: 0, delta: content === null ? {} : { role: 'assistant', content }, finish_reason: finish },
  ],
});

/**
 * An OpenAI-compatible Chat Completions server on loopback that streams what the test scripts,
 * refuses requests that do not fit the API, and records what it was sent (and what was aborted).
 */
export async function fakeOpenAi(script: (req: ChatRequest) => Script, path = '/v1/chat/completions') {
  const requests: ChatRequest[] = [];
  const aborted: number[] = [];
  const open = new Set<ServerResponse>();
  const fail = (res: ServerResponse, status: number, message: string) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message, type: 'invalid_request_error' } }));
  };
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== path)
        return fail(res, 404, `no route ${req.method} ${req.url}`);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return fail(res, 400, 'body is not JSON');
      }
      const parsed = requestSchema.safeParse(json);
      if (!parsed.success) return fail(res, 400, parsed.error.issues[0]?.message ?? 'invalid');
      const request = { headers: req.headers, body: parsed.data };
      const index = requests.push(request) - 1;
      const answer = script(request);
      if ('status' in answer) return fail(res, answer.status, answer.error);
      open.add(res);
      res.on('close', () => {
        open.delete(res);
        if (!res.writableFinished) aborted.push(index);
      });
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (const event of answer.events)
        res.write(`data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`);
      if (answer.hold) return;
      if (answer.done !== false) res.write('data: [DONE]\n\n');
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    aborted,
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
