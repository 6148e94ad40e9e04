import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

/**
 * A fake OpenAI-compatible model on 127.0.0.1: `POST /v1/chat/completions` with `stream: true`, answered
 * from a script as Server-Sent Events shaped like OpenAI's `chat.completion.chunk`s. Every request is
 * checked against the Chat Completions request shape; anything else (another path, a request past the end
 * of the script, a wrong key) is recorded as a violation for the test to fail on.
 */

/** One scripted model answer: text streamed in the given pieces, or one function call. */
export type ScriptedReply =
  | { kind: 'text'; chunks: string[] }
  | { kind: 'toolCall'; id: string; name: string; arguments: Record<string, unknown> };

const textPart = z.object({ type: z.literal('text'), text: z.string() }).loose();
const messageContent = z.union([z.string(), z.array(textPart)]);
const toolCall = z.object({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

const message = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: messageContent }),
  z.object({ role: z.literal('developer'), content: messageContent }),
  z.object({ role: z.literal('user'), content: messageContent }),
  z.object({
    role: z.literal('assistant'),
    content: messageContent.nullish(),
    tool_calls: z.array(toolCall).optional(),
  }),
  z.object({ role: z.literal('tool'), tool_call_id: z.string().min(1), content: messageContent }),
]);

const tool = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** What the agent must send: the fields of the Chat Completions request body that a streamed call uses. */
export const chatCompletionRequest = z
  .object({
    model: z.string().min(1),
    messages: z.array(message).min(1),
    stream: z.literal(true),
    stream_options: z.object({ include_usage: z.boolean() }).optional(),
    tools: z.array(tool).optional(),
    tool_choice: z
      .union([z.enum(['auto', 'none', 'required']), z.object({ type: z.literal('function') }).loose()])
      .optional(),
    max_tokens: z.number().int().positive().optional(),
    max_completion_tokens: z.number().int().positive().optional(),
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
  })
  .loose();

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequest>;
export type ChatMessage = ChatCompletionRequest['messages'][number];

export interface FakeModel {
  /** `http://127.0.0.1:PORT/v1`, what an OpenAI-compatible client takes as its base URL. */
  readonly baseUrl: string;
  readonly model: string;
  readonly apiKey: string;
  /** Every valid Chat Completions request, in arrival order. */
  readonly requests: ChatCompletionRequest[];
  readonly violations: string[];
  /** The answers the next requests take, in order; answers left over from an earlier script are dropped. */
  script(...replies: ScriptedReply[]): void;
  close(): Promise<void>;
}

export interface FakeModelOptions {
  model: string;
  apiKey: string;
  /** Pause between streamed events, so that a client sees them arrive one by one. */
  chunkDelayMs?: number;
}

export async function startFakeModel(options: FakeModelOptions): Promise<FakeModel> {
  const requests: ChatCompletionRequest[] = [];
  const violations: string[] = [];
  const pending: ScriptedReply[] = [];
  const delay = options.chunkDelayMs ?? 20;
  let completions = 0;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const where = `${req.method ?? '?'} ${req.url ?? '?'}`;
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      violations.push(`${where}: not an endpoint of this model`);
      return sendError(res, 404, 'not_found', `${where} is not served here`);
    }
    if (req.headers.authorization !== `Bearer ${options.apiKey}`) {
      violations.push(`${where}: missing or wrong bearer token`);
      return sendError(res, 401, 'invalid_api_key', 'Incorrect API key provided');
    }
    const parsed = chatCompletionRequest.safeParse(await readJson(req));
    if (!parsed.success) {
      violations.push(`${where}: ${z.prettifyError(parsed.error)}`);
      return sendError(res, 400, 'invalid_request_error', 'the request body does not match the API');
    }
    if (parsed.data.model !== options.model)
      violations.push(`${where}: asked for model ${parsed.data.model}`);
    requests.push(parsed.data);
    const reply = pending.shift();
    if (reply === undefined) {
      violations.push(`${where}: request ${requests.length} is past the end of the script`);
      // A 400, not a 500: clients retry server errors, which would turn a test failure into a hang.
      return sendError(res, 400, 'invalid_request_error', 'the fake model has no scripted answer left');
    }
    completions += 1;
    await stream(res, `chatcmpl-fake-${completions}`, parsed.data, reply);
  }

  async function stream(
    res: ServerResponse,
    id: string,
    request: ChatCompletionRequest,
    reply: ScriptedReply,
  ): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (delta: Record<string, unknown>, finishReason: string | null): Record<string, unknown> => ({
      id,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    });
    const events = reply.kind === 'text' ? textEvents(reply, chunk) : toolCallEvents(reply, chunk);
    if (request.stream_options?.include_usage === true) {
      events.push({
        id,
        object: 'chat.completion.chunk',
        created: Math.floor(Date.now() / 1000),
        model: request.model,
        choices: [],
        usage: { prompt_tokens: 12, completion_tokens: events.length, total_tokens: 12 + events.length },
      });
    }
    for (const event of events) {
      if (res.destroyed) return;
      res.write(`data: ${JSON.stringify(event)}\n\n`);
      await sleep(delay);
    }
    res.end('data: [DONE]\n\n');
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      violations.push(`fake crashed: ${String(error)}`);
      res.destroy();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    model: options.model,
    apiKey: options.apiKey,
    requests,
    violations,
    script(...replies) {
      pending.splice(0, pending.length, ...replies);
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

type Chunk = (delta: Record<string, unknown>, finishReason: string | null) => Record<string, unknown>;

function textEvents(
  reply: Extract<ScriptedReply, { kind: 'text' }>,
  chunk: Chunk,
): Record<string, unknown>[] {
  return [
    ...reply.chunks.map((text, i) =>
      chunk(i === 0 ? { role: 'assistant', content: text } : { content: text }, null),
    ),
    chunk({}, 'stop'),
  ];
}

// The arguments arrive in two fragments, as real models stream them, so the client has to join them.
function toolCallEvents(
  reply: Extract<ScriptedReply, { kind: 'toolCall' }>,
  chunk: Chunk,
): Record<string, unknown>[] {
  const args = JSON.stringify(reply.arguments);
  const cut = Math.floor(args.length / 2);
  const fragment = (text: string): Record<string, unknown> => ({
    tool_calls: [{ index: 0, function: { arguments: text } }],
  });
  return [
    chunk(
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { index: 0, id: reply.id, type: 'function', function: { name: reply.name, arguments: '' } },
        ],
      },
      null,
    ),
    chunk(fragment(args.slice(0, cut)), null),
    chunk(fragment(args.slice(cut)), null),
    chunk({}, 'tool_calls'),
  ];
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function sendError(res: ServerResponse, status: number, code: string, text: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message: text, type: code, param: null, code } }));
}

/** The text of a message's content, whichever of the two shapes the client used. */
export function messageText(content: z.infer<typeof messageContent> | null | undefined): string {
  if (content === null || content === undefined) return '';
  return typeof content === 'string' ? content : content.map((part) => part.text).join('');
}
