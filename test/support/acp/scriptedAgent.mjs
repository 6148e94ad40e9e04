// An ACP agent written with the real SDK's agent app, for the protocol tests. The first word of a
// prompt picks what it does; ACP_LOAD=1 / ACP_RESUME=1 advertise session/load and session/resume.
import process from 'node:process';
import { Readable, Writable } from 'node:stream';
import * as acp from '@agentclientprotocol/sdk';

let nextSession = 1;
const cancelled = new Map();
const update = (client, sessionId, u) => client.notify('session/update', { sessionId, update: u });
const say = (client, sessionId, text) =>
  update(client, sessionId, { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text } });
const untilCancelled = (sessionId) => new Promise((resolve) => cancelled.set(sessionId, resolve));

const scenarios = {
  async stream(client, sessionId) {
    for (const piece of ['Hello', ', ', 'world', '.']) await say(client, sessionId, piece);
    return 'end_turn';
  },
  async tools(client, sessionId) {
    await update(client, sessionId, {
      sessionUpdate: 'tool_call',
      toolCallId: 't1',
      title: 'Run npm test',
      kind: 'execute',
      status: 'pending',
    });
    await update(client, sessionId, {
      sessionUpdate: 'tool_call_update',
      toolCallId: 't1',
      status: 'in_progress',
    });
    await update(client, sessionId, {
      sessionUpdate: 'tool_call_update',
      toolCallId: 't1',
      status: 'completed',
      content: [{ type: 'diff', path: '/work/a.txt', oldText: 'one\n', newText: 'two\n' }],
    });
    await update(client, sessionId, { sessionUpdate: 'plan', entries: [] });
    await say(client, sessionId, 'Tests pass.');
    return 'end_turn';
  },
  async permission(client, sessionId) {
    await update(client, sessionId, {
      sessionUpdate: 'tool_call',
      toolCallId: 'w1',
      title: 'Write notes.txt',
      kind: 'edit',
      status: 'pending',
    });
    const answer = await client.request('session/request_permission', {
      sessionId,
      toolCall: { toolCallId: 'w1', title: 'Write notes.txt', rawInput: { path: 'notes.txt' } },
      options: [
        { optionId: 'yes', name: 'Allow', kind: 'allow_once' },
        { optionId: 'always', name: 'Always allow', kind: 'allow_always' },
        { optionId: 'no', name: 'Reject', kind: 'reject_once' },
      ],
    });
    if (answer.outcome.outcome === 'cancelled') return 'cancelled';
    await say(client, sessionId, `chose ${answer.outcome.optionId}`);
    return 'end_turn';
  },
  async wait(client, sessionId) {
    await say(client, sessionId, 'working');
    await untilCancelled(sessionId);
    return 'cancelled';
  },
  async unknown(client, sessionId) {
    await update(client, sessionId, { sessionUpdate: 'hologram', beam: 1 });
    await update(client, sessionId, {
      sessionUpdate: 'tool_call',
      toolCallId: 'x',
      title: 'Odd',
      status: 'exploding',
    });
    await say(client, sessionId, 'still here');
    return 'end_turn';
  },
  async crash(client, sessionId) {
    await say(client, sessionId, 'about to fail');
    process.stderr.write('loading model\nFATAL: out of memory\n', () => process.exit(3));
    return new Promise(() => undefined);
  },
  async hang(client, sessionId) {
    await say(client, sessionId, 'thinking');
    return new Promise(() => undefined);
  },
  async malformed(client, sessionId) {
    await say(client, sessionId, 'partial');
    process.stdout.write('this is not json\n');
    return new Promise(() => undefined);
  },
  async long(client, sessionId) {
    for (let i = 0; i < 200; i++)
      await say(client, sessionId, `${String(i).padStart(3, '0')}${'x'.repeat(96)}\n`);
    return 'end_turn';
  },
  async flood(client, sessionId) {
    const piece = 'y'.repeat(10_000);
    for (let i = 0; i < 30; i++) await say(client, sessionId, piece);
    return 'end_turn';
  },
};

const session = (params) => {
  if (params.sessionId === 'gone') throw acp.RequestError.resourceNotFound(params.sessionId);
  return {};
};

acp
  .agent({ name: 'scripted' })
  .onRequest('initialize', () => ({
    protocolVersion: acp.PROTOCOL_VERSION,
    agentCapabilities: {
      loadSession: process.env.ACP_LOAD === '1',
      sessionCapabilities: process.env.ACP_RESUME === '1' ? { resume: {} } : {},
    },
  }))
  .onRequest('session/new', () => ({ sessionId: `s-${nextSession++}` }))
  .onRequest('session/load', async ({ params, client }) => {
    session(params);
    // A load replays the conversation: none of this may reach the next answer.
    await say(client, params.sessionId, 'replayed history');
    return {};
  })
  .onRequest('session/resume', ({ params }) => session(params))
  .onNotification('session/cancel', ({ params }) => cancelled.get(params.sessionId)?.())
  .onRequest('session/prompt', async ({ params, client }) => {
    const word = params.prompt[0]?.type === 'text' ? params.prompt[0].text.split(' ')[0] : '';
    const run = scenarios[word] ?? scenarios.stream;
    return { stopReason: await run(client, params.sessionId) };
  })
  .connect(acp.ndJsonStream(Writable.toWeb(process.stdout), Readable.toWeb(process.stdin)));
