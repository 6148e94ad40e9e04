import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentSession } from '../../src/core/conversations/protocol.js';
import type { Role } from '../../src/core/fleet/roles.js';
import { systemClock } from '../../src/core/runtime/clock.js';
import type { Agent } from '../../src/core/store/agents.js';
import { acpProtocol } from '../../src/protocols/acp/module.js';
import { testChannels } from '../support/acp/channels.js';
import { turnRecorder } from '../support/acp/turnRecorder.js';
import { silentLog } from '../support/env.js';
import { startFakeModel, type FakeModel } from './fakeModel.js';
import { findOpenCode, makeNotes, openCodeLaunch } from './realAgent.js';

// The same real coding agent (OpenCode) as realAgent.test.ts, this time driven by fleetbot's own ACP
// client (src/protocols/acp), as /ask drives it: streamed text, a tool step, a permission request
// answered through TurnEvents, and the schema tap on every message.

const openCode = findOpenCode();
const unavailable = 'unavailable' in openCode ? openCode.unavailable : undefined;

describe.skipIf(unavailable !== undefined)('OpenCode through fleetbot’s ACP client', () => {
  let root: string;
  let workspace: string;
  let model: FakeModel;
  let session: AgentSession;
  let wire: ReturnType<typeof testChannels>;

  beforeAll(async () => {
    if ('unavailable' in openCode) return;
    root = await mkdtemp(path.join(tmpdir(), 'fleetbot-opencode-acp-'));
    workspace = path.join(root, 'work');
    await mkdir(path.join(root, 'home'));
    await mkdir(workspace);
    model = await startFakeModel({ model: 'scripted-coder', apiKey: randomBytes(16).toString('hex') });
    const launch = openCodeLaunch({
      binary: openCode.binary,
      home: path.join(root, 'home'),
      workspace,
      model,
    });
    wire = testChannels(launch.env, workspace);
    session = await acpProtocol.open({
      agent: { id: 1, name: 'coder', role: 'opencode' } as Agent,
      role: { name: 'opencode', file: path.resolve('templates/roles/opencode.yaml') } as Role,
      chat: { protocol: 'acp', command: [launch.command, ...launch.args], silence: 60_000 },
      channels: wire.channels,
      history: [],
      clock: systemClock,
      log: silentLog,
    });
  }, 90_000);

  afterAll(async () => {
    await session?.close();
    await wire?.killAll();
    await model?.close();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it('streams its answer, then asks before running a command and runs it once allowed', async () => {
    expect(session.start).toEqual({ kind: 'new' });
    model.script({ kind: 'text', chunks: ['Hello', ' from the', ' scripted', ' model.'] });
    const first = turnRecorder();
    expect(await session.prompt('Say hello.', first.events, new AbortController().signal)).toEqual({
      stop: 'end_turn',
    });
    expect(first.seen.text).toBe('Hello from the scripted model.');

    model.script(...makeNotes);
    const second = turnRecorder(() => Promise.resolve('allow_once'));
    expect(await session.prompt('Make notes.', second.events, new AbortController().signal)).toEqual({
      stop: 'end_turn',
    });
    expect(second.seen.permissions).toHaveLength(1);
    expect(second.seen.permissions[0]!.offered).toEqual(expect.arrayContaining(['allow_once', 'reject']));
    expect(second.seen.steps.some((s) => s.status === 'completed')).toBe(true);
    expect(second.seen.text).toBe('Created notes.txt.');
    expect(await readFile(path.join(workspace, 'notes.txt'), 'utf8')).toBe('written by the agent\n');
    expect(wire.tap.violations).toEqual([]);
  }, 120_000);

  it('leaves nothing done when the person rejects', async () => {
    model.script({
      kind: 'toolCall',
      id: 'call_rm',
      name: 'bash',
      arguments: { command: 'rm notes.txt', description: 'Remove notes.txt' },
    });
    const turn = turnRecorder(() => Promise.resolve('reject'));
    await session.prompt('Remove the notes.', turn.events, new AbortController().signal);
    expect(turn.seen.permissions).toHaveLength(1);
    expect(await readdir(workspace)).toContain('notes.txt');
    expect(turn.seen.steps.at(-1)?.status).toBe('failed');
  }, 120_000);
});
