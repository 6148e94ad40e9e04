import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentSession } from '../../src/core/conversations/protocol.js';
import type { Role } from '../../src/core/fleet/roles.js';
import type { Agent } from '../../src/core/store/agents.js';
import { acpProtocol } from '../../src/protocols/acp/module.js';
import { cancelGraceMs } from '../../src/protocols/acp/session.js';
import { testChannels } from '../support/acp/channels.js';
import { turnRecorder, until } from '../support/acp/turnRecorder.js';
import { silentLog } from '../support/env.js';
import { manualClock } from '../support/manualClock.js';

const agentScript = path.resolve('test/support/acp/scriptedAgent.mjs');
const agent = { id: 1, name: 'alice', role: 'swe' } as Agent;
const role = { name: 'swe', file: path.resolve('templates/roles/swe.yaml') } as Role;
const silence = 60_000;

let live: ReturnType<typeof testChannels>[] = [];
afterEach(async () => {
  await Promise.all(live.map((l) => l.killAll()));
  live = [];
});

async function open(opts: { env?: Record<string, string>; previousSessionId?: string } = {}) {
  const wire = testChannels(opts.env);
  live.push(wire);
  const clock = manualClock();
  const session = await acpProtocol.open({
    agent,
    role,
    chat: { protocol: 'acp', command: [process.execPath, agentScript], silence },
    channels: wire.channels,
    history: [],
    ...(opts.previousSessionId ? { previousSessionId: opts.previousSessionId } : {}),
    clock,
    log: silentLog,
  });
  return { session, clock, wire };
}

const turn = (
  session: AgentSession,
  text: string,
  recorder = turnRecorder(),
  signal = new AbortController().signal,
) => session.prompt(text, recorder.events, signal);

describe('ACP client against an agent written with the SDK', () => {
  it('streams an answer into text deltas, every message on the wire valid ACP', async () => {
    const { session, wire } = await open();
    const recorder = turnRecorder();
    expect(session.start).toEqual({ kind: 'new' });
    expect(await turn(session, 'stream', recorder)).toEqual({ stop: 'end_turn' });
    expect(recorder.seen.text).toBe('Hello, world.');
    expect(wire.tap.violations).toEqual([]);
    expect(wire.tap.seen.map((m) => (m.message as { method?: string }).method).filter(Boolean)).toEqual([
      'initialize',
      'session/new',
      'session/prompt',
      'session/update',
      'session/update',
      'session/update',
      'session/update',
    ]);
  });

  it('reports tool steps with their titles, a diff as a file, and leaves plans out', async () => {
    const { session, wire } = await open();
    const recorder = turnRecorder();
    expect(await turn(session, 'tools', recorder)).toEqual({ stop: 'end_turn' });
    expect(recorder.seen.steps).toEqual([
      { id: 't1', title: 'Run npm test', status: 'pending' },
      { id: 't1', title: 'Run npm test', status: 'in_progress' },
      { id: 't1', title: 'Run npm test', status: 'completed' },
    ]);
    expect(recorder.seen.files).toEqual([
      { name: 'a.txt.diff', content: '--- /work/a.txt\n+++ /work/a.txt\n@@ -1,1 +1,1 @@\n-one\n+two\n' },
    ]);
    expect(recorder.seen.skipped).toEqual([]);
    expect(recorder.seen.text).toBe('Tests pass.');
    expect(wire.tap.violations).toEqual([]);
  });

  it.each([
    ['allow_once', 'chose yes'],
    ['allow_always', 'chose always'],
    ['reject', 'chose no'],
  ] as const)(
    'asks a person before a tool runs and answers %s with the agent’s own option',
    async (choice, said) => {
      const { session, wire } = await open();
      const recorder = turnRecorder(() => Promise.resolve(choice));
      expect(await turn(session, 'permission', recorder)).toEqual({ stop: 'end_turn' });
      expect(recorder.seen.permissions).toEqual([
        { title: 'Write notes.txt', detail: 'notes.txt', offered: ['allow_once', 'allow_always', 'reject'] },
      ]);
      expect(recorder.seen.text).toBe(said);
      expect(wire.tap.violations).toEqual([]);
    },
  );

  it('cancels a turn with session/cancel, answering an open permission request cancelled', async () => {
    const { session, wire } = await open();
    const stop = new AbortController();
    const asked = turnRecorder(() => new Promise(() => undefined));
    const pending = turn(session, 'permission', asked, stop.signal);
    await until(() => asked.seen.permissions.length === 1);
    stop.abort();
    expect(await pending).toEqual({ stop: 'cancelled' });
    const sent = wire.tap.seen
      .filter((m) => m.from === 'client')
      .map((m) => m.message as Record<string, unknown>);
    expect(sent.some((m) => m.method === 'session/cancel')).toBe(true);
    expect(sent.some((m) => JSON.stringify(m.result) === '{"outcome":{"outcome":"cancelled"}}')).toBe(true);

    const waiting = new AbortController();
    const recorder = turnRecorder();
    const second = turn(session, 'wait', recorder, waiting.signal);
    await until(() => recorder.seen.text === 'working');
    waiting.abort();
    expect(await second).toEqual({ stop: 'cancelled' });
    expect(session.alive).toBe(true);
    expect(wire.tap.violations).toEqual([]);
  });

  it('ends a cancelled turn the agent never ends after the grace time, stopping its process', async () => {
    const { session, clock } = await open();
    const stop = new AbortController();
    const recorder = turnRecorder();
    const pending = turn(session, 'hang', recorder, stop.signal);
    await until(() => recorder.seen.text === 'thinking');
    stop.abort();
    await clock.advance(cancelGraceMs);
    expect(await pending).toEqual({ stop: 'cancelled' });
    expect(session.alive).toBe(false);
  });

  it('continues a conversation with session/load where offered, without replaying it into the answer', async () => {
    const { session, wire } = await open({
      env: { ACP_LOAD: '1', ACP_RESUME: '1' },
      previousSessionId: 's-41',
    });
    expect(session.start).toEqual({ kind: 'loaded' });
    expect(session.sessionId).toBe('s-41');
    const recorder = turnRecorder();
    await turn(session, 'stream', recorder);
    expect(recorder.seen.text).toBe('Hello, world.');
    expect(wire.tap.seen.some((m) => (m.message as { method?: string }).method === 'session/load')).toBe(
      true,
    );
    expect(wire.tap.violations).toEqual([]);
  });

  it('resumes where only session/resume is offered', async () => {
    const { session, wire } = await open({ env: { ACP_RESUME: '1' }, previousSessionId: 's-41' });
    expect(session.start).toEqual({ kind: 'resumed' });
    expect(session.sessionId).toBe('s-41');
    expect(wire.tap.violations).toEqual([]);
  });

  it('starts a new session, saying why, where the earlier one cannot be continued', async () => {
    const neither = await open({ previousSessionId: 's-41' });
    expect(neither.session.start).toEqual({
      kind: 'restarted',
      why: 'the agent can neither load nor resume a session',
    });
    expect(neither.session.sessionId).toBe('s-1');
    const gone = await open({ env: { ACP_LOAD: '1' }, previousSessionId: 'gone' });
    expect(gone.session.start).toMatchObject({
      kind: 'restarted',
      why: expect.stringMatching(
        /could not continue it \(it answered with an error: Resource not found/,
      ) as string,
    });
    expect(await turn(gone.session, 'stream')).toEqual({ stop: 'end_turn' });
  });

  it('skips (and reports) an update kind it does not know and a field it cannot read, and goes on', async () => {
    const { session, wire } = await open();
    const recorder = turnRecorder();
    expect(await turn(session, 'unknown', recorder)).toEqual({ stop: 'end_turn' });
    expect(recorder.seen.skipped).toEqual([
      'an update of kind "hologram" fleetbot does not know',
      'a tool_call update fleetbot could not read',
    ]);
    expect(recorder.seen.text).toBe('still here');
    // Both are off-schema on purpose: the tap names exactly those two.
    expect(
      wire.tap.violations.map(
        (v) => (v.message as { params: { update: { sessionUpdate: string } } }).params.update.sessionUpdate,
      ),
    ).toEqual(['hologram', 'tool_call']);
  });

  it('ends the turn failed with the exit and the stderr tail when the agent crashes mid-answer', async () => {
    const { session } = await open();
    const recorder = turnRecorder();
    const end = await turn(session, 'crash', recorder);
    expect(end).toEqual({
      stop: 'failed',
      reason: 'the agent stopped mid-answer: it exited with code 3',
      stderr: 'loading model\nFATAL: out of memory',
    });
    expect(recorder.seen.text).toBe('about to fail');
    expect(session.alive).toBe(false);
    expect(await turn(session, 'stream')).toMatchObject({
      stop: 'failed',
      reason: expect.stringMatching(/process has ended/) as string,
    });
  });

  it('ends the turn failed when the agent goes silent, on the injected clock', async () => {
    const { session, clock } = await open();
    const recorder = turnRecorder();
    const pending = turn(session, 'hang', recorder);
    await until(() => recorder.seen.text === 'thinking');
    await clock.advance(silence - 1);
    await clock.advance(1);
    expect(await pending).toMatchObject({
      stop: 'failed',
      reason: expect.stringMatching(/sent nothing for 60 s/) as string,
    });
    expect(session.alive).toBe(false);
  });

  it('does not count a person’s time on a permission request as the agent’s silence', async () => {
    const { session, clock } = await open();
    let decide: (choice: 'allow_once') => void = () => undefined;
    const recorder = turnRecorder(() => new Promise((resolve) => (decide = resolve)));
    const pending = turn(session, 'permission', recorder);
    await until(() => recorder.seen.permissions.length === 1);
    await clock.advance(silence * 3);
    decide('allow_once');
    expect(await pending).toEqual({ stop: 'end_turn' });
  });

  it('ends the turn failed on a line that is not JSON-RPC', async () => {
    const { session } = await open();
    expect(await turn(session, 'malformed')).toMatchObject({
      stop: 'failed',
      reason: 'the agent wrote a line that is not JSON-RPC: "this is not json"',
    });
    expect(session.alive).toBe(false);
  });

  it('delivers a 20,000-character answer whole', async () => {
    const { session, wire } = await open();
    const recorder = turnRecorder();
    expect(await turn(session, 'long', recorder)).toEqual({ stop: 'end_turn' });
    expect(recorder.seen.text).toHaveLength(20_000);
    expect(recorder.seen.text.split('\n').slice(0, 2)).toEqual([
      `000${'x'.repeat(96)}`,
      `001${'x'.repeat(96)}`,
    ]);
    expect(recorder.seen.text.endsWith(`199${'x'.repeat(96)}\n`)).toBe(true);
    expect(wire.tap.violations).toEqual([]);
  });

  it('stops reading a flood at the answer cap and ends the turn failed', async () => {
    const { session } = await open();
    const recorder = turnRecorder();
    expect(await turn(session, 'flood', recorder)).toMatchObject({
      stop: 'failed',
      reason: expect.stringMatching(/passed 200,000 characters/) as string,
    });
    expect(recorder.seen.text.length).toBeLessThanOrEqual(200_000);
  });

  it('probes: starts the command and answers initialize, or says why not', async () => {
    const wire = testChannels();
    live.push(wire);
    const req = { agent, role, channels: wire.channels, clock: manualClock(), log: silentLog };
    await acpProtocol.probe!({
      ...req,
      chat: { protocol: 'acp', command: [process.execPath, agentScript], silence },
    });
    await expect(
      acpProtocol.probe!({
        ...req,
        chat: {
          protocol: 'acp',
          command: [process.execPath, '-e', 'console.error("no key"); process.exit(2)'],
          silence,
        },
      }),
    ).rejects.toThrow(/alice's chat did not start: it exited with code 2\. Its last output: no key/);
  });
});
