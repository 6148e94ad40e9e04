import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PermissionChoice } from '../../src/core/conversations/protocol.js';
import { loadRoles, resolveArgv } from '../../src/core/fleet/roles.js';
import type { Agent } from '../../src/core/store/agents.js';
import { acpProtocol, type AcpChat } from '../../src/protocols/acp/module.js';
import { chatSections } from '../../src/protocols/index.js';
import { roleSections } from '../../src/providers/index.js';
import { chunk, fakeOpenAi } from '../fakes/openai/server.js';
import { testChannels } from '../support/acp/channels.js';
import { turnRecorder, until } from '../support/acp/turnRecorder.js';
import { silentLog } from '../support/env.js';
import { manualClock } from '../support/manualClock.js';

const swe = loadRoles('templates/roles', roleSections, chatSections).get('swe')!;
// The role file was parsed by every protocol's schema; its chat section is ACP's by its `protocol`.
const sweChat = swe.chat as unknown as AcpChat;
const agent = { id: 1, name: 'alice', role: 'swe' } as Agent;
let live: ReturnType<typeof testChannels>[] = [];
afterEach(async () => {
  await Promise.all(live.map((l) => l.killAll()));
  live = [];
});

/** The swe role's own chat section, as a deploy would run it, in `folder`. */
async function openSwe(opts: { folder: string; env?: Record<string, string>; previousSessionId?: string }) {
  const wire = testChannels(opts.env, opts.folder);
  live.push(wire);
  const session = await acpProtocol.open({
    agent,
    role: swe,
    chat: sweChat,
    channels: wire.channels,
    history: [],
    ...(opts.previousSessionId ? { previousSessionId: opts.previousSessionId } : {}),
    clock: manualClock(),
    log: silentLog,
  });
  return { session, wire };
}

const folder = () => mkdtempSync(path.join(tmpdir(), 'swe-'));
const ask = (
  session: Awaited<ReturnType<typeof openSwe>>['session'],
  text: string,
  choice?: PermissionChoice,
) => {
  const recorder = turnRecorder(() => Promise.resolve(choice ?? 'reject'));
  return session
    .prompt(text, recorder.events, new AbortController().signal)
    .then((end) => ({ end, ...recorder.seen }));
};

describe('the reference agent speaks ACP (checked with the SDK client and the schema)', () => {
  it('is the swe role’s chat command', () => {
    expect(swe.chat).toMatchObject({ protocol: 'acp', level: 'operator', idle: 30 * 60_000 });
    expect(resolveArgv(swe, sweChat.command)).toEqual(['node', path.resolve('templates/agent/acp.mjs')]);
  });

  it('answers without a model: help, list and read, streamed in pieces', async () => {
    const dir = folder();
    writeFileSync(path.join(dir, 'notes.md'), '# Notes\nship it\n');
    const { session, wire } = await openSwe({ folder: dir });
    const help = await ask(session, 'hello');
    expect(help.end).toEqual({ stop: 'end_turn' });
    expect(help.text).toMatch(/^I am the reference agent, running without a model\./);
    const list = await ask(session, 'list');
    expect(list.text).toBe('. holds:\n- notes.md\n');
    expect(list.steps).toEqual([
      { id: 'tool-1', title: 'List .', status: 'pending' },
      { id: 'tool-1', title: 'List .', status: 'completed' },
    ]);
    expect((await ask(session, 'read notes.md')).text).toBe('notes.md:\n```\n# Notes\nship it\n\n```\n');
    expect((await ask(session, 'read ../../etc/passwd')).text).toBe(
      'That did not work: ../../etc/passwd is outside the workspace\n',
    );
    expect(wire.tap.violations).toEqual([]);
  });

  it('writes only after a person allows it, reporting the change as a diff', async () => {
    const dir = folder();
    const { session, wire } = await openSwe({ folder: dir });
    const refused = await ask(session, 'write plan.txt step one', 'reject');
    expect(refused.permissions).toEqual([
      { title: 'Write plan.txt', detail: 'plan.txt', offered: ['allow_once', 'allow_always', 'reject'] },
    ]);
    expect(refused.text).toBe('Not written: permission to write plan.txt was refused.\n');
    expect(existsSync(path.join(dir, 'plan.txt'))).toBe(false);
    const allowed = await ask(session, 'write plan.txt step one', 'allow_once');
    expect(allowed.text).toBe('Wrote 9 bytes to plan.txt.\n');
    expect(readFileSync(path.join(dir, 'plan.txt'), 'utf8')).toBe('step one\n');
    expect(allowed.files).toEqual([
      {
        name: 'plan.txt.diff',
        content: `--- /dev/null\n+++ ${path.join(dir, 'plan.txt')}\n@@ -0,0 +1,1 @@\n+step one\n`,
      },
    ]);
    expect(wire.tap.violations).toEqual([]);
  });

  it('runs a command after permission, and "allow for this conversation" is not asked again', async () => {
    const { session, wire } = await openSwe({ folder: folder() });
    const first = await ask(session, 'run echo hi; exit 3', 'allow_always');
    expect(first.permissions).toHaveLength(1);
    expect(first.text).toBe('`echo hi; exit 3` ended with exit code 3:\n```\nhi\n```\n');
    expect(first.steps.at(-1)).toMatchObject({ status: 'failed' });
    const second = await ask(session, 'run echo again');
    expect(second.permissions).toEqual([]);
    expect(second.text).toMatch(/ended with exit code 0:\n```\nagain\n```/);
    expect(wire.tap.violations).toEqual([]);
  });

  it('cancels a running command', async () => {
    const { session } = await openSwe({ folder: folder() });
    const stop = new AbortController();
    const recorder = turnRecorder(() => Promise.resolve('allow_once'));
    const pending = session.prompt('run sleep 30', recorder.events, stop.signal);
    await until(() => recorder.seen.steps.some((s) => s.status === 'in_progress'));
    stop.abort();
    expect(await pending).toEqual({ stop: 'cancelled' });
  });

  it('continues its own session with session/load after a restart, and refuses one it never had', async () => {
    const dir = folder();
    const first = await openSwe({ folder: dir });
    await ask(first.session, 'list');
    await first.session.close();
    const again = await openSwe({ folder: dir, previousSessionId: first.session.sessionId });
    expect(again.session.start).toEqual({ kind: 'loaded' });
    // The load replays the earlier turn to the client; none of it may leak into this answer.
    expect((await ask(again.session, 'list')).text).toBe('. is empty.\n');
    expect(again.wire.tap.violations).toEqual([]);
    const stranger = await openSwe({
      folder: dir,
      previousSessionId: '00000000-0000-4000-8000-000000000000',
    });
    expect(stranger.session.start).toMatchObject({ kind: 'restarted' });
  });

  it('streams from an OpenAI-compatible model when one is configured, sending the history', async () => {
    const model = await fakeOpenAi(() => ({ events: [chunk('Deploy '), chunk('looks fine.', 'stop')] }));
    try {
      const { session, wire } = await openSwe({
        folder: folder(),
        env: {
          OPENAI_BASE_URL: `http://127.0.0.1:${model.port}/v1`,
          OPENAI_API_KEY: 'sk-test',
          AGENT_MODEL: 'claude-sonnet-4',
        },
      });
      const first = await ask(session, 'is the deploy fine?');
      expect(first).toMatchObject({ end: { stop: 'end_turn' }, text: 'Deploy looks fine.' });
      await ask(session, 'and now?');
      expect(model.requests.map((r) => r.headers.authorization)).toEqual([
        'Bearer sk-test',
        'Bearer sk-test',
      ]);
      expect(model.requests[1]!.body).toEqual({
        model: 'claude-sonnet-4',
        stream: true,
        messages: [
          { role: 'user', content: 'is the deploy fine?' },
          { role: 'assistant', content: 'Deploy looks fine.' },
          { role: 'user', content: 'and now?' },
        ],
      });
      expect(wire.tap.violations).toEqual([]);
    } finally {
      await model.close();
    }
  });
});
