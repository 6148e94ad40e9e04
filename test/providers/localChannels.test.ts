import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentChannels } from '../../src/core/fleet/provider.js';
import type { Agent } from '../../src/core/store/agents.js';
import type { Isolation } from '../../src/providers/local/index.js';
import { probeSandbox } from '../../src/providers/local/sandbox.js';
import {
  childThatExits,
  conversationChild,
  conversationClient,
  type ChildReport,
} from '../support/conversationClient.js';
import { tempDir } from '../support/env.js';
import { localFleet, processesWith } from '../support/localAgents.js';

const sandbox = probeSandbox();
const tmp = tempDir('fleetbot-channels-');
afterAll(() => tmp.cleanup());

// fleetbot's own environment holds its tokens: a conversation's process must never inherit it.
const fleetbotToken = `fleetbot-token-${process.pid}-${Date.now()}`;
process.env.FLEETBOT_CHANNELS_TEST_TOKEN = fleetbotToken;

const isolations: [string, Isolation | undefined][] = [
  ['in its bubblewrap sandbox', sandbox.available ? { kind: 'sandbox', bwrap: sandbox.bwrap } : undefined],
  ['unsandboxed, where the agent runs so too', { kind: 'unsandboxed' }],
];

describe.each(isolations)('a conversation with a local agent %s', (_title, isolation) => {
  const dataDir = path.join(tmp.dir, isolation?.kind ?? 'none');
  const storeFile = path.join(dataDir, 'fleetbot.db');
  const secret = `sk-ant-alice-${Date.now()}`;
  let fleet: ReturnType<typeof localFleet>;
  let agent: Agent;
  let channels: AgentChannels;

  beforeAll(async () => {
    if (!isolation) return;
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(storeFile, 'SQLite format 3\0 principals, jobs, audit', { mode: 0o600 });
    fleet = localFleet({ dataDir, isolation, hidden: [dataDir, storeFile] });
    const deployed = await fleet.deploy('alice', 'swe', { ANTHROPIC_API_KEY: secret });
    expect(deployed.status).toBe('succeeded');
    agent = deployed.agent;
    channels = fleet.provider.channels!(agent, fleet.roles.get('swe')!);
  }, 30_000);
  afterAll(async () => {
    if (!isolation) return;
    await fleet.destroy(agent);
    fleet.close();
  });

  it.skipIf(!isolation)(
    'runs in the agent’s folder with its env and secrets and a HOME of its own, never fleetbot’s env',
    async () => {
      const child = await channels.spawn(['node', conversationChild]);
      const talk = conversationClient(child);
      expect(await talk.ask({ echo: 'hello over stdio' })).toEqual({ echo: 'hello over stdio' });
      const report = await talk.ask<ChildReport>({ report: [storeFile] });
      const dir = String(agent.resources.dir);
      expect(report.cwd).toBe(dir);
      expect(report.env.ANTHROPIC_API_KEY).toBe(secret);
      expect(report.env.AGENT_NAME).toBe('alice');
      expect(report.home).toBe(path.join(dir, 'home'));
      expect(report.wroteHome).toBe(true);
      expect(readFileSync(path.join(dir, 'home', 'settings.json'), 'utf8')).toBe('{"theme":"dark"}');
      expect(JSON.stringify(report.env)).not.toContain(fleetbotToken);
      expect(report.env.FLEETBOT_CHANNELS_TEST_TOKEN).toBeUndefined();
      if (isolation?.kind === 'sandbox') expect(report.read[storeFile]).toEqual({ error: 'ENOENT' });
      child.kill();
      await child.ended;
    },
  );

  it.skipIf(!isolation)('kills everything it started, a process in a session of its own too', async () => {
    const child = await channels.spawn(['node', conversationChild]);
    const marker = `left-behind-${Date.now()}`;
    await conversationClient(child).ask({ leave: marker });
    expect(processesWith(marker)).toHaveLength(1);
    child.kill();
    expect(await child.ended).toBe('killed by SIGKILL');
    await expect.poll(() => processesWith(marker), { timeout: 5_000 }).toEqual([]);
  });

  it.skipIf(!isolation)('says how it ended when it exits by itself, and leaves nothing running', async () => {
    const { child, marker } = await childThatExits(channels);
    expect(await child.ended).toBe('exited with code 3');
    await expect.poll(() => processesWith(marker), { timeout: 5_000 }).toEqual([]);
    // Only the last lines are kept.
    const tail = child.stderrTail().split('\n');
    expect(tail).toHaveLength(20);
    expect(tail.at(-1)).toBe('line 500');
  });

  it.skipIf(!isolation)(
    'reaches the agent’s own port on loopback, the free one it was given for the role’s',
    async () => {
      const socket = await channels.connect(fleet.roles.get('swe')!.agent.port!);
      socket.end('GET /health HTTP/1.0\r\n\r\n');
      let answer = '';
      for await (const chunk of socket) answer += String(chunk);
      expect(answer).toMatch(/^HTTP\/1\.[01] 200/);
      expect(answer).toContain('"name":"alice"');
    },
  );

  it.skipIf(!isolation)('says so when nothing listens on the port', async () => {
    await expect(channels.connect(1)).rejects.toThrow(/Nothing answered on alice's port 1 \(ECONNREFUSED\)/);
  });

  it.skipIf(!isolation)('says why it could not start a command that is not there', async () => {
    const missing = ['/nonexistent/acp-agent'];
    if (isolation?.kind === 'unsandboxed') {
      await expect(channels.spawn(missing)).rejects.toThrow(
        'Could not start /nonexistent/acp-agent for alice: spawn /nonexistent/acp-agent ENOENT.',
      );
      return;
    }
    // In a sandbox bwrap starts, then fails to find the command inside; its words are in the tail.
    const child = await channels.spawn(missing);
    expect(await child.ended).toBe('exited with code 1');
    expect(child.stderrTail()).toMatch(/execvp \/nonexistent\/acp-agent: No such file or directory/);
  });
});

describe('a conversation with a local agent that cannot be contained', () => {
  it('is refused with the reason, and starts nothing', async () => {
    const dataDir = path.join(tmp.dir, 'refused');
    const fleet = localFleet({ dataDir, isolation: { kind: 'unsandboxed' } });
    const { agent } = await fleet.deploy('carol', 'swe');
    const refused = localFleet({
      dataDir,
      isolation: { kind: 'refused', reason: 'local agents cannot be sandboxed (bwrap is not installed)' },
    });
    const channels = refused.provider.channels!(agent, refused.roles.get('swe')!);
    await expect(channels.spawn(['node', conversationChild])).rejects.toThrow(
      'local agents cannot be sandboxed (bwrap is not installed)',
    );
    expect(existsSync(path.join(String(agent.resources.dir), 'home'))).toBe(false);
    await fleet.destroy(agent);
    fleet.close();
    refused.close();
  }, 30_000);
});

describe('a conversation with a local agent that is destroyed meanwhile', () => {
  it('ends with it: nothing the conversation started outlives the agent', async () => {
    const dataDir = path.join(tmp.dir, 'destroyed');
    const isolation: Isolation = sandbox.available
      ? { kind: 'sandbox', bwrap: sandbox.bwrap }
      : { kind: 'unsandboxed' };
    const fleet = localFleet({ dataDir, isolation });
    const { agent } = await fleet.deploy('dave', 'swe');
    const child = await fleet.provider.channels!(agent, fleet.roles.get('swe')!).spawn([
      'node',
      conversationChild,
    ]);
    const marker = `left-by-dave-${Date.now()}`;
    await conversationClient(child).ask({ leave: marker });
    expect((await fleet.destroy(agent)).status).toBe('succeeded');
    expect(await child.ended).toMatch(/^killed by SIG/);
    await expect.poll(() => processesWith(marker), { timeout: 5_000 }).toEqual([]);
    fleet.close();
  }, 30_000);
});
