import { afterEach, describe, expect, it } from 'vitest';
import type { HistoryMessage } from '../../src/core/conversations/protocol.js';
import type { Role } from '../../src/core/fleet/roles.js';
import type { Agent } from '../../src/core/store/agents.js';
import { openaiProtocol } from '../../src/protocols/openai/module.js';
import { testChannels } from '../support/acp/channels.js';
import { turnRecorder, until } from '../support/acp/turnRecorder.js';
import { silentLog } from '../support/env.js';
import { manualClock } from '../support/manualClock.js';
import { chunk, fakeOpenAi, type Script } from '../fakes/openai/server.js';

const agent = { id: 1, name: 'bob', role: 'chatbot' } as Agent;
const silence = 30_000;
let servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function setUp(
  script: (n: number) => Script,
  opts: { token?: string; wantsToken?: boolean; history?: HistoryMessage[]; model?: string } = {},
) {
  let n = 0;
  const server = await fakeOpenAi(() => script(n++));
  servers.push(server);
  const clock = manualClock();
  const { channels } = testChannels();
  // Every connection goes through the provider's channel into the agent's walls, never a socket of its own.
  const connected: number[] = [];
  const session = await openaiProtocol.open({
    agent,
    role: {
      name: 'chatbot',
      file: '/roles/chatbot.yaml',
      agent: { command: ['agent'], port: server.port },
    } as Role,
    chat: {
      protocol: 'openai',
      path: '/v1/chat/completions',
      token: opts.wantsToken ?? false,
      silence,
      ...(opts.model ? { model: opts.model } : {}),
    },
    channels: { ...channels, connect: (port) => (connected.push(port), channels.connect(port)) },
    history: opts.history ?? [],
    ...(opts.token ? { token: opts.token } : {}),
    clock,
    log: silentLog,
  });
  return { server, session, clock, connected };
}

const never = new AbortController().signal;

describe('OpenAI-compatible client over the agent’s own port', () => {
  it('streams an answer, resends the history each turn and sends the bearer token', async () => {
    const { server, session, connected } = await setUp(
      (n) => ({
        events: n === 0 ? [chunk('Hel'), chunk('lo'), chunk(null, 'stop')] : [chunk('Again.', 'stop')],
      }),
      {
        token: 'tok-123',
        wantsToken: true,
        model: 'm1',
        history: [
          { role: 'user', content: 'earlier' },
          { role: 'assistant', content: 'yes' },
        ],
      },
    );
    expect(session.start).toEqual({ kind: 'resumed' });
    const first = turnRecorder();
    expect(await session.prompt('hi', first.events, never)).toEqual({ stop: 'end_turn' });
    expect(first.seen.text).toBe('Hello');
    const second = turnRecorder();
    expect(await session.prompt('more', second.events, never)).toEqual({ stop: 'end_turn' });
    expect(second.seen.text).toBe('Again.');
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer tok-123', 'Bearer tok-123']);
    expect(connected).toEqual([server.port]);
    expect(server.requests[1]!.body).toEqual({
      model: 'm1',
      stream: true,
      messages: [
        { role: 'user', content: 'earlier' },
        { role: 'assistant', content: 'yes' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'more' },
      ],
    });
    await session.close();
  });

  it('sends no token unless the role asks, and refuses to open when it asks and there is none', async () => {
    const { server, session } = await setUp(() => ({ events: [chunk('ok', 'stop')] }), { token: 'tok' });
    await session.prompt('hi', turnRecorder().events, never);
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
    await expect(setUp(() => ({ events: [] }), { wantsToken: true })).rejects.toThrow(
      /bob's role asks for a bearer token, but the agent has none; redeploy it/,
    );
  });

  it('maps finish reasons and skips (and reports) an event it cannot read', async () => {
    const { session } = await setUp(() => ({
      events: [chunk('a'), { choices: 'nope' }, chunk('b', 'length')],
    }));
    const recorder = turnRecorder();
    expect(await session.prompt('hi', recorder.events, never)).toEqual({ stop: 'max_tokens' });
    expect(recorder.seen.text).toBe('ab');
    expect(recorder.seen.skipped).toEqual(['an event that is not a chat.completion.chunk']);
  });

  it('ends the turn failed with what the API said on an HTTP error or an error event', async () => {
    const refused = await setUp(() => ({ status: 401, error: 'bad key' }));
    expect(await refused.session.prompt('hi', turnRecorder().events, never)).toEqual({
      stop: 'failed',
      reason: "the agent's API answered HTTP 401: bad key. Check /logs bob.",
    });
    const broke = await setUp(() => ({ events: [chunk('a'), { error: { message: 'model overloaded' } }] }));
    expect(await broke.session.prompt('hi', turnRecorder().events, never)).toEqual({
      stop: 'failed',
      reason: 'the agent reported an error: model overloaded',
    });
  });

  it('cancels the request when the turn is aborted', async () => {
    const { server, session } = await setUp(() => ({ events: [chunk('thinking')], hold: true }));
    const stop = new AbortController();
    const recorder = turnRecorder();
    const pending = session.prompt('hi', recorder.events, stop.signal);
    await until(() => recorder.seen.text === 'thinking');
    stop.abort();
    expect(await pending).toEqual({ stop: 'cancelled' });
    await until(() => server.aborted.length === 1);
  });

  it('gives up on a silent answer on the injected clock', async () => {
    const { server, session, clock } = await setUp(() => ({ events: [chunk('thinking')], hold: true }));
    const recorder = turnRecorder();
    const pending = session.prompt('hi', recorder.events, never);
    await until(() => recorder.seen.text === 'thinking');
    await clock.advance(silence);
    expect(await pending).toMatchObject({
      stop: 'failed',
      reason: expect.stringMatching(/sent nothing for 30 s/) as string,
    });
    await until(() => server.aborted.length === 1);
  });

  it('delivers a 20,000-character answer whole and stops a flood at the cap', async () => {
    const line = (i: number) => `${String(i).padStart(3, '0')}${'x'.repeat(96)}\n`;
    const long = await setUp(() => ({ events: Array.from({ length: 200 }, (_, i) => chunk(line(i))) }));
    const recorder = turnRecorder();
    expect(await long.session.prompt('hi', recorder.events, never)).toEqual({ stop: 'end_turn' });
    expect(recorder.seen.text).toBe(Array.from({ length: 200 }, (_, i) => line(i)).join(''));
    const flood = await setUp(() => ({
      events: Array.from({ length: 30 }, () => chunk('y'.repeat(10_000))),
    }));
    expect(await flood.session.prompt('hi', turnRecorder().events, never)).toMatchObject({
      stop: 'failed',
      reason: expect.stringMatching(/passed 200,000 characters/) as string,
    });
  });
});
