import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkBlocks, shownText, type Block } from './blocks.js';
import { checkArgs, findMethod } from './spec.js';
import type { FakeMessage, SlackState, Version } from './state.js';

export type Identity = {
  botToken: string;
  appToken: string;
  botUserId: string;
  botId: string;
  botName: string;
};
type Result = Record<string, unknown>;
type Handler = (args: Record<string, unknown>) => Result;

class SlackError extends Error {
  constructor(readonly error: string) {
    super(error);
  }
}

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/** WebClient sends forms with JSON-encoded blocks; raw clients may send JSON. Both are Slack's wire. */
function parseArgs(req: IncomingMessage, raw: string): Record<string, unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (type === 'application/json') return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const args: Record<string, unknown> = Object.fromEntries(new URLSearchParams(raw));
  for (const key of ['blocks', 'attachments', 'files', 'chunks'])
    if (typeof args[key] === 'string') args[key] = JSON.parse(args[key]) as unknown;
  return args;
}

export function webApiHandlers(
  state: SlackState,
  me: Identity,
  socketUrl: () => string,
  uploadUrl: (fileId: string) => string,
): Map<string, Handler> {
  const str = (args: Record<string, unknown>, name: string): string => {
    const value = args[name];
    return typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
  };

  const version = (method: string, args: Record<string, unknown>): Version => {
    const text = str(args, 'text');
    let blocks: Block[] = [];
    if (args.blocks !== undefined) {
      const checked = checkBlocks(args.blocks);
      for (const problem of checked.problems) state.violations.push({ method, problem });
      if (checked.problems.length > 0) throw new SlackError('invalid_blocks');
      blocks = checked.blocks;
      // Slack warns when blocks come without the text notifications and screen readers use.
      if (!text) state.violations.push({ method, problem: 'blocks without a top-level text fallback' });
    } else if (!text) throw new SlackError('no_text');
    if (text.length > 40_000) throw new SlackError('msg_too_long');
    return { text, blocks, at: Date.now() };
  };

  const member = (channel: string): void => {
    if (state.outside.has(channel)) throw new SlackError('not_in_channel');
  };

  const streaming = (args: Record<string, unknown>) => {
    const m = state.find(str(args, 'channel'), str(args, 'ts'));
    if (!m) throw new SlackError('message_not_found');
    if (!m.stream?.streaming) throw new SlackError('message_not_in_streaming_state');
    return m;
  };
  const appendTo = (m: FakeMessage, markdown: string): void => {
    const text = m.history.at(-1)!.text + markdown;
    if (text.length > 40_000) throw new SlackError('msg_too_long');
    m.history.push({ text, blocks: [], at: Date.now() });
  };

  return new Map<string, Handler>([
    [
      'auth.test',
      () => ({
        url: 'https://fleet-test.slack.com/',
        team: 'Fleet Test',
        user: me.botName,
        team_id: 'T0FLEET',
        user_id: me.botUserId,
        bot_id: me.botId,
        is_enterprise_install: false,
      }),
    ],
    ['apps.connections.open', () => ({ url: socketUrl() })],
    [
      'chat.postMessage',
      (args) => {
        const channel = str(args, 'channel');
        member(channel);
        const threadTs = args.thread_ts === undefined ? undefined : str(args, 'thread_ts');
        const m = state.post(channel, version('chat.postMessage', args), threadTs);
        const last = m.history[0]!;
        return {
          channel,
          ts: m.ts,
          message: {
            type: 'message',
            text: last.text,
            user: me.botUserId,
            bot_id: me.botId,
            ts: m.ts,
            blocks: last.blocks,
          },
        };
      },
    ],
    [
      'chat.update',
      (args) => {
        const channel = str(args, 'channel');
        const m = state.find(channel, str(args, 'ts'));
        if (!m) throw new SlackError('message_not_found');
        const next = version('chat.update', args);
        m.history.push(next);
        return { channel, ts: m.ts, text: next.text, message: { text: next.text, blocks: next.blocks } };
      },
    ],
    [
      'chat.startStream',
      (args) => {
        const channel = str(args, 'channel');
        member(channel);
        // Outside a DM, Slack must be told whom the streamed answer is for.
        if (!channel.startsWith('D')) {
          if (args.recipient_user_id === undefined) throw new SlackError('missing_recipient_user_id');
          if (args.recipient_team_id !== 'T0FLEET') throw new SlackError('missing_recipient_team_id');
        }
        const version = { text: str(args, 'markdown_text'), blocks: [], at: Date.now() };
        const m = state.post(channel, version, str(args, 'thread_ts'), {
          streaming: true,
          ...(args.recipient_user_id ? { recipient: str(args, 'recipient_user_id') } : {}),
        });
        return { channel, ts: m.ts };
      },
    ],
    [
      'chat.appendStream',
      (args) => {
        const m = streaming(args);
        appendTo(m, str(args, 'markdown_text'));
        return { channel: m.channel, ts: m.ts };
      },
    ],
    [
      'chat.stopStream',
      (args) => {
        const m = streaming(args);
        if (args.markdown_text !== undefined) appendTo(m, str(args, 'markdown_text'));
        m.stream!.streaming = false;
        const last = m.history.at(-1)!;
        return { channel: m.channel, ts: m.ts, message: { ts: m.ts, text: last.text } };
      },
    ],
    [
      'files.getUploadURLExternal',
      (args) => {
        const id = `F${String(state.files.length + 1).padStart(9, '0')}`;
        state.files.push({ id, filename: str(args, 'filename'), length: Number(args.length) });
        return { upload_url: uploadUrl(id), file_id: id };
      },
    ],
    [
      'files.completeUploadExternal',
      (args) => {
        const listed = args.files as { id: string; title?: string }[];
        const files = listed.map((f) => {
          const file = state.files.find((x) => x.id === f.id);
          if (!file || file.content === undefined) throw new SlackError('file_not_found');
          return { file, title: f.title };
        });
        const channel = args.channel_id === undefined ? undefined : str(args, 'channel_id');
        if (channel) member(channel);
        for (const { file, title } of files) {
          if (title) file.title = title;
          if (channel) file.channel = channel;
          if (args.thread_ts !== undefined) file.threadTs = str(args, 'thread_ts');
        }
        return { files: files.map(({ file }) => ({ id: file.id, name: file.filename, title: file.title })) };
      },
    ],
    [
      'chat.postEphemeral',
      (args) => {
        const channel = str(args, 'channel');
        member(channel);
        const v = version('chat.postEphemeral', args);
        state.ephemerals.push({
          channel,
          user: str(args, 'user'),
          text: v.text,
          shown: shownText(v.blocks) || v.text,
          at: v.at,
        });
        return { message_ts: state.nextTs() };
      },
    ],
  ]);
}

const send = (
  res: ServerResponse,
  status: number,
  body: Result,
  headers: Record<string, string> = {},
): void => {
  res
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
    .end(JSON.stringify(body));
};

/** One Web API request: token, spec check, injected failures, then the method, in Slack's envelope. */
export async function serveWebApi(
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  state: SlackState,
  me: Identity,
  handlers: Map<string, Handler>,
): Promise<void> {
  const at = Date.now();
  const args = parseArgs(req, await readBody(req));
  const record = (status: number, error?: string): void => {
    state.calls.push({ method: name, args, status, ...(error ? { error } : {}), at });
  };
  const fail = (error: string, status = 200, headers: Record<string, string> = {}): void => {
    record(status, error);
    send(res, status, { ok: false, error }, headers);
  };
  const spec = findMethod(name);
  if (!spec) {
    state.violations.push({ method: name, problem: 'unknown Web API method' });
    return fail('unknown_method');
  }
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!token) return fail('not_authed');
  const wanted = name === 'apps.connections.open' ? me.appToken : me.botToken;
  if (token !== wanted)
    return fail(token === me.botToken || token === me.appToken ? 'not_allowed_token_type' : 'invalid_auth');
  for (const problem of checkArgs(spec, args)) state.violations.push({ method: name, problem });
  if (checkArgs(spec, args).some((p) => p.startsWith('missing'))) return fail('invalid_arguments');

  const injected = state.takeInjected(name);
  if (injected && 'status' in injected)
    return fail('ratelimited', 429, { 'retry-after': String(injected.retryAfter) });
  if (injected) return fail(injected.error);

  const handler = handlers.get(name);
  if (!handler) {
    state.violations.push({
      method: name,
      problem: 'a real method the fake does not implement; extend test/fakes/slack',
    });
    return fail('not_implemented');
  }
  try {
    const result = handler(args);
    record(200);
    send(res, 200, { ok: true, ...result });
  } catch (err) {
    if (!(err instanceof SlackError)) throw err;
    fail(err.error);
  }
}
