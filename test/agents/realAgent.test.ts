import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import {
  client,
  ndJsonStream,
  type ClientConnection,
  type InitializeResponse,
  type RequestPermissionRequest,
  type RequestPermissionResponse,
  type SessionUpdate,
} from '@agentclientprotocol/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAcpWire, type AcpWireCheck } from './acpWireCheck.js';
import { messageText, startFakeModel, type FakeModel } from './fakeModel.js';
import { listeningPorts } from './listeningPorts.js';
import {
  findOpenCode,
  openCodeLaunch,
  startAgentProcess,
  type AgentProcess,
  type OpenCodeLaunch,
} from './realAgent.js';

// A real coding agent from the npm registry (OpenCode, `opencode acp`) driven over ACP by the SDK's own
// client, against a scripted OpenAI-compatible model on loopback. Every ACP message both ways is checked
// against the v1 schema.

const openCode = findOpenCode();
const unavailable = 'unavailable' in openCode ? openCode.unavailable : undefined;
if (unavailable !== undefined) console.warn(`skipping the OpenCode ACP test: ${unavailable}`);

type Decide = (request: RequestPermissionRequest) => RequestPermissionResponse;

describe.skipIf(unavailable !== undefined)('OpenCode over ACP against a scripted model', () => {
  let root: string;
  let model: FakeModel;
  let launch: OpenCodeLaunch;
  let agent: AgentProcess;
  let wire: AcpWireCheck;
  let connection: ClientConnection;
  let initialized: InitializeResponse;
  const updates: SessionUpdate[] = [];
  const permissionRequests: RequestPermissionRequest[] = [];
  let decide: Decide = () => ({ outcome: { outcome: 'cancelled' } });

  beforeAll(async () => {
    if ('unavailable' in openCode) return;
    root = await mkdtemp(join(tmpdir(), 'fleetbot-opencode-'));
    model = await startFakeModel({ model: 'scripted-coder', apiKey: randomBytes(16).toString('hex') });
    const home = join(root, 'home');
    await mkdir(home);
    await mkdir(join(root, 'work'));
    launch = openCodeLaunch({ binary: openCode.binary, home, workspace: join(root, 'work'), model });
    agent = startAgentProcess(launch);
    wire = checkAcpWire(ndJsonStream(Writable.toWeb(agent.child.stdin), Readable.toWeb(agent.child.stdout)));
    connection = client({ name: 'fleetbot-test' })
      .onNotification('session/update', ({ params }) => {
        updates.push(params.update);
      })
      .onRequest('session/request_permission', ({ params }) => {
        permissionRequests.push(params);
        return decide(params);
      })
      .connect(wire.stream);
    initialized = await connection.agent.request('initialize', {
      protocolVersion: 1,
      clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
      clientInfo: { name: 'fleetbot-test', version: '0' },
    });
  }, 60_000);

  afterAll(async () => {
    connection?.close();
    await agent?.stop();
    await model?.close();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  async function newWorkspaceSession(name: string): Promise<{ workspace: string; sessionId: string }> {
    const workspace = join(root, 'work', name);
    await mkdir(workspace);
    const session = await connection.agent.request('session/new', { cwd: workspace, mcpServers: [] });
    return { workspace, sessionId: session.sessionId };
  }

  function assertCleanWire(): void {
    expect(wire.violations, 'ACP messages the v1 schema rejects').toEqual([]);
    expect(model.violations, 'requests the model API would reject').toEqual([]);
  }

  it('streams the answer, asks before running a command, and runs it once allowed', async () => {
    expect(initialized.protocolVersion).toBe(1);
    expect(initialized.agentInfo?.name).toBe('OpenCode');
    expect(initialized.agentCapabilities?.loadSession).toBe(true);
    const { workspace, sessionId } = await newWorkspaceSession('allowed');

    const greeting = ['Hello', ' from the', ' scripted', ' model.'];
    model.script({ kind: 'text', chunks: greeting });
    const first = updates.length;
    const turn1 = await connection.agent.request('session/prompt', {
      sessionId,
      prompt: [{ type: 'text', text: 'Say hello.' }],
    });
    expect(turn1.stopReason).toBe('end_turn');
    const turn1Chunks = agentText(updates.slice(first));
    expect(turn1Chunks.join('')).toBe(greeting.join(''));
    expect(turn1Chunks.length, 'the answer arrives in several chunks').toBeGreaterThan(1);

    const command = "printf 'written by the agent\\n' | tee notes.txt";
    model.script(
      {
        kind: 'toolCall',
        id: 'call_notes',
        name: 'bash',
        arguments: { command, description: 'Create notes.txt' },
      },
      { kind: 'text', chunks: ['Created ', 'notes.txt', ' for you.'] },
    );
    decide = allowOnce;
    const second = updates.length;
    const turn2 = await connection.agent.request('session/prompt', {
      sessionId,
      prompt: [{ type: 'text', text: 'Create notes.txt.' }],
    });
    expect(turn2.stopReason).toBe('end_turn');

    expect(permissionRequests).toHaveLength(1);
    const [asked] = permissionRequests;
    expect(asked?.sessionId).toBe(sessionId);
    expect(asked?.toolCall.toolCallId).toBe('call_notes');
    expect(asked?.toolCall.rawInput).toMatchObject({ command });
    expect(asked?.options.map((o) => o.kind)).toEqual(expect.arrayContaining(['allow_once', 'reject_once']));

    await expect(readFile(join(workspace, 'notes.txt'), 'utf8')).resolves.toBe('written by the agent\n');
    const turn2Updates = updates.slice(second);
    expect(toolStatuses(turn2Updates, 'call_notes')).toContain('completed');
    expect(agentText(turn2Updates).join('')).toBe('Created notes.txt for you.');

    // The model saw the first answer in the history and got the command's result back.
    expect(model.requests).toHaveLength(3);
    const followUp = model.requests[2]?.messages ?? [];
    expect(followUp).toContainEqual(
      expect.objectContaining({ role: 'assistant', content: greeting.join('') }),
    );
    const result = followUp.find((m) => m.role === 'tool');
    expect(result).toMatchObject({ role: 'tool', tool_call_id: 'call_notes' });
    expect(result?.role === 'tool' ? messageText(result.content) : '').toContain('written by the agent');
    assertCleanWire();
  }, 60_000);

  it('leaves the workspace untouched when the command is rejected', async () => {
    const { workspace, sessionId } = await newWorkspaceSession('rejected');
    const asksBefore = permissionRequests.length;
    const modelCallsBefore = model.requests.length;
    model.script({
      kind: 'toolCall',
      id: 'call_wipe',
      name: 'bash',
      arguments: { command: 'touch rejected.txt', description: 'Create rejected.txt' },
    });
    decide = rejectOnce;
    const second = updates.length;
    const turn = await connection.agent.request('session/prompt', {
      sessionId,
      prompt: [{ type: 'text', text: 'Create rejected.txt.' }],
    });

    expect(turn.stopReason).toBe('end_turn');
    expect(permissionRequests).toHaveLength(asksBefore + 1);
    expect(await readdir(workspace)).toEqual([]);
    expect(toolStatuses(updates.slice(second), 'call_wipe')).toContain('failed');
    expect(toolStatuses(updates.slice(second), 'call_wipe')).not.toContain('completed');
    // OpenCode ends the turn on a rejection instead of asking the model what to do next.
    expect(model.requests).toHaveLength(modelCallsBefore + 1);
    assertCleanWire();
  }, 60_000);

  it('keeps its own HTTP API on loopback closed to callers without the password', async () => {
    const ports = await listeningPorts(agent.child.pid ?? 0);
    expect(ports.length, 'opencode acp serves an HTTP API beside stdio').toBeGreaterThan(0);
    const login = `opencode:${launch.env.OPENCODE_SERVER_PASSWORD}`;
    for (const port of ports) {
      const url = `http://127.0.0.1:${port}/session`;
      const stranger = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      expect(stranger.status).toBe(401);
      const owner = await fetch(url, {
        headers: { authorization: `Basic ${Buffer.from(login).toString('base64')}` },
        signal: AbortSignal.timeout(5_000),
      });
      expect(owner.status).toBe(200);
    }
  }, 20_000);
});

function agentText(updates: SessionUpdate[]): string[] {
  return updates.flatMap((u) =>
    u.sessionUpdate === 'agent_message_chunk' && u.content.type === 'text' ? [u.content.text] : [],
  );
}

function toolStatuses(updates: SessionUpdate[], toolCallId: string): string[] {
  return updates.flatMap((u) =>
    (u.sessionUpdate === 'tool_call' || u.sessionUpdate === 'tool_call_update') &&
    u.toolCallId === toolCallId &&
    typeof u.status === 'string'
      ? [u.status]
      : [],
  );
}

function choose(kind: 'allow_once' | 'reject_once'): Decide {
  return (request) => {
    const option = request.options.find((o) => o.kind === kind);
    if (option === undefined) throw new Error(`the agent offered no ${kind} option`);
    return { outcome: { outcome: 'selected', optionId: option.optionId } };
  };
}

const allowOnce = choose('allow_once');
const rejectOnce = choose('reject_once');
