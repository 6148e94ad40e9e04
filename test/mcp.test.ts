import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { createApiKey } from '../src/core/access/apiKeys.js';
import type { ApiScope } from '../src/core/access/apiScopes.js';
import { operations } from '../src/core/api/operations.js';
import { createHttpServer } from '../src/core/runtime/httpServer.js';
import { systemClock } from '../src/core/runtime/clock.js';
import { openStore } from '../src/core/store/index.js';
import { useCleanups } from './support/cleanups.js';
import { startConsoleBot } from './support/consoleSession.js';
import { approvedDestroy } from './support/destroy.js';
import { silentLog, tempDir } from './support/env.js';

const outputOf = (tool: string) => operations.find((op) => op.name === tool)!.output;

/** What a tool answered, checked against the tool's own output schema when it is not a refusal. */
async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  onprogress?: (p: Progress) => void,
): Promise<CallToolResult & { structuredContent?: Record<string, unknown> }> {
  const result = (await client.callTool({ name, arguments: args }, undefined, {
    ...(onprogress ? { onprogress, resetTimeoutOnProgress: true } : {}),
    timeout: 60_000,
  })) as CallToolResult;
  if (!result.isError) outputOf(name).parse(result.structuredContent);
  return result;
}

const textOf = (result: CallToolResult): string =>
  result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

const readTools = operations.filter((op) => op.hints.readOnly && !op.http?.sse).map((op) => op.name);

function fleetbotMcp(dataDir: string, args: string[] = [], env: Record<string, string> = {}) {
  return new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', 'src/cli.ts', 'mcp', ...args],
    env: { PATH: process.env.PATH ?? '', FLEETBOT_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
    stderr: 'pipe',
  });
}

describe('the MCP server', () => {
  const defer = useCleanups();

  it('over stdio as the console admin: deploys, waits with progress, shows the agent and asks for approval to destroy', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const transport = fleetbotMcp(tmp.dir);
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(transport);
    const destroyOnce = () =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'destroy', 'mcpone', '--yes'], {
        env: { PATH: process.env.PATH, FLEETBOT_DATA_DIR: tmp.dir, LOG_LEVEL: 'error' },
      });
    let destroyed = false;
    // The agent runs on after fleetbot: the console's one-shot destroy approves and removes it.
    defer(() => void (destroyed || destroyOnce()));
    defer(() => client.close());

    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      operations
        .filter((op) => !(op.http?.sse && !op.waits))
        .map((op) => op.name)
        .sort(),
    );
    expect(tools.find((t) => t.name === 'destroy_agent')?.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: false,
    });
    expect(tools.find((t) => t.name === 'list_agents')?.annotations).toMatchObject({ readOnlyHint: true });
    expect(tools.find((t) => t.name === 'deploy_agent')?.outputSchema?.properties).toHaveProperty('job');

    expect((await callTool(client, 'list_agents', {})).structuredContent).toEqual({ agents: [] });
    const deployed = await callTool(client, 'deploy_agent', { role: 'swe', name: 'mcpone' });
    const job = (deployed.structuredContent as { job: { id: number; kind: string } }).job;
    expect(job.kind).toBe('deploy');

    const progress: Progress[] = [];
    const waited = await callTool(client, 'wait_job', { job: job.id }, (p) => progress.push(p));
    const ended = (waited.structuredContent as { job: { status: string; steps: unknown[] } }).job;
    expect(ended.status).toBe('succeeded');
    expect(textOf(waited)).toBe(`Job #${job.id} (deploy mcpone) succeeded.`);
    // The SDK's client may drop the last notification when the result arrives in the same read.
    expect(progress.length).toBeGreaterThanOrEqual(ended.steps.length - 1);
    expect(progress.slice(0, 2)).toEqual([
      { progress: 1, total: 3, message: 'Prepare agent folder: done' },
      { progress: 2, total: 3, message: 'Start agent process: done' },
    ]);

    const shown = await callTool(client, 'get_agent', { name: 'mcpone' });
    expect(shown.structuredContent).toMatchObject({
      agent: { name: 'mcpone', role: 'swe', status: 'running', health: { state: 'healthy' } },
    });

    const asked = await callTool(client, 'ask_agent', { name: 'mcpone', prompt: 'hello' });
    expect(asked.structuredContent).toMatchObject({ status: 'answered' });
    expect(textOf(asked)).toMatch(/^I am the reference agent, running without a model\./);

    const destroy = await callTool(client, 'destroy_agent', { name: 'mcpone' });
    expect(destroy.structuredContent).toMatchObject({
      approval: { status: 'pending_approval', kind: 'destroy', requestedBy: 'console:local' },
    });
    // The card went to the console, which in this mode writes to stderr and never to the MCP channel.
    expect(stderr).toContain('Approve destroy');

    const unknown = await callTool(client, 'get_agent', { name: 'nobody' });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toMatch(/nobody/);

    // The client leaving (stdin closed) stops fleetbot and frees the data folder for the next one.
    await client.close();
    expect(destroyOnce().status).toBe(0);
    destroyed = true;
  });

  it('over stdio writes nothing but protocol messages to stdout, and leaves when its input ends', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const lines = [
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'destroy_agent', arguments: { name: 'x1' } },
      },
    ];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'mcp'], {
      env: { PATH: process.env.PATH, FLEETBOT_DATA_DIR: tmp.dir, LOG_LEVEL: 'debug' },
    });
    defer(() => void child.kill());
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.stdin.write(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    for (const end = Date.now() + 30_000; stdout.split('\n').length < 3 && Date.now() < end;)
      await new Promise((r) => setTimeout(r, 25));
    child.stdin.end();
    expect(await exited).toBe(0);
    const out = stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: number; result: unknown });
    expect(out.map((m) => m.id)).toEqual([1, 2]);
    expect(out[1]!.result).toEqual({
      content: [{ type: 'text', text: expect.stringMatching(/x1/) as unknown }],
      isError: true,
    });
    expect(stderr).toContain('MCP server on stdio');
  });

  it('over stdio with --read-only serves only the tools that change nothing', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(fleetbotMcp(tmp.dir, ['--read-only']));
    defer(() => client.close());
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...readTools].sort());
    expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
  });

  it('over stdio with FLEETBOT_API_KEY acts as the key, within its scopes', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const store = openStore(path.join(tmp.dir, 'fleetbot.db'), systemClock);
    const { key } = createApiKey(store, {
      name: 'reader',
      scopes: ['agents:read'],
      createdBy: 'console:local',
      expiresAt: null,
    });
    store.close();
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(fleetbotMcp(tmp.dir, [], { FLEETBOT_API_KEY: key }));
    defer(() => client.close());
    expect((await callTool(client, 'list_agents', {})).structuredContent).toEqual({ agents: [] });
    const refused = await callTool(client, 'deploy_agent', { role: 'swe', name: 'nope' });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toBe(
      'The key reader has the scopes agents:read; /deploy needs agents:deploy. Ask an admin for a key with that scope (/keys create).',
    );
  });

  describe('over Streamable HTTP', () => {
    async function httpBot(env: Record<string, string> = {}) {
      const tmp = tempDir();
      defer(tmp.cleanup);
      const http = createHttpServer({ port: 0, log: silentLog });
      const port = await http.listen();
      defer(() => http.close());
      const s = await startConsoleBot(tmp.dir, { FLEETBOT_HTTP_PORT: String(port), ...env }, { http });
      defer(() => s.stop());
      const bot = s.bot;
      const keyWith = (name: string, scopes: ApiScope[]) =>
        createApiKey(bot.store, { name, scopes, createdBy: 'console:local', expiresAt: null }).key;
      const url = new URL(`http://127.0.0.1:${port}/mcp`);
      const connect = async (key: string) => {
        const client = new Client({ name: 'test', version: '1' });
        await client.connect(
          new StreamableHTTPClientTransport(url, {
            requestInit: { headers: { authorization: `Bearer ${key}` } },
          }),
        );
        defer(() => client.close());
        return client;
      };
      return { s, bot, url, keyWith, connect };
    }

    it('is not served where FLEETBOT_API=off turned programs over HTTP away', async () => {
      const { url, keyWith } = await httpBot({ FLEETBOT_API: 'off' });
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${keyWith('ci', ['admin'])}` },
        body: '{}',
      });
      expect(res.statusCode).toBe(404);
      await res.body.dump();
    });

    it('answers a missing, unknown or revoked key with 401 before anything else', async () => {
      const { bot, url, keyWith } = await httpBot();
      const initialize = (authorization?: string) =>
        request(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            ...(authorization ? { authorization } : {}),
          },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'initialize',
            params: {
              protocolVersion: '2025-06-18',
              capabilities: {},
              clientInfo: { name: 't', version: '1' },
            },
          }),
        });
      const key = keyWith('gone', ['agents:read']);
      bot.store.apiKeys.revoke('gone');
      for (const authorization of [undefined, 'Bearer fbk_not-a-key', `Bearer ${key}`]) {
        const res = await initialize(authorization);
        expect(res.statusCode).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer');
        await res.body.dump();
      }
      const live = await initialize(`Bearer ${keyWith('live', ['agents:read'])}`);
      expect(live.statusCode).toBe(200);
      await live.body.dump();
    });

    it('runs each call as the request’s key: a key without the scope is refused with the router’s words', async () => {
      const { connect, keyWith } = await httpBot();
      const reader = await connect(keyWith('reader', ['agents:read']));
      expect((await callTool(reader, 'list_agents', { all: true })).structuredContent).toEqual({
        agents: [],
      });
      const refused = await callTool(reader, 'destroy_agent', { name: 'carol' });
      expect(refused).toMatchObject({ isError: true });
      expect(textOf(refused)).toBe(
        'The key reader has the scopes agents:read; /destroy needs agents:destroy. Ask an admin for a key with that scope (/keys create).',
      );
      const bad = await callTool(reader, 'get_job', { job: 0 });
      expect(bad.isError).toBe(true);
    });

    it('deploys and waits for the job with progress notifications', async () => {
      const { s, connect, keyWith } = await httpBot();
      const deployer = await connect(keyWith('deployer', ['agents:read', 'agents:deploy', 'agents:chat']));
      defer(async () => void (await approvedDestroy(s, 'viahttp')));
      const deployed = await callTool(deployer, 'deploy_agent', { role: 'swe', name: 'viahttp' });
      const { id } = (deployed.structuredContent as { job: { id: number } }).job;
      const progress: Progress[] = [];
      const waited = await callTool(deployer, 'wait_job', { job: id }, (p) => progress.push(p));
      expect(waited.structuredContent).toMatchObject({
        job: { id, status: 'succeeded', requester: 'api:deployer' },
      });
      expect(progress[0]).toEqual({ progress: 1, total: 3, message: 'Prepare agent folder: done' });
      const shown = await callTool(deployer, 'get_agent', { name: 'viahttp' });
      expect(shown.structuredContent).toMatchObject({ agent: { name: 'viahttp', owner: 'api:deployer' } });

      const pieces: Progress[] = [];
      const asked = await callTool(deployer, 'ask_agent', { name: 'viahttp', prompt: 'hello' }, (p) =>
        pieces.push(p),
      );
      expect(asked.structuredContent).toMatchObject({ status: 'answered' });
      const said = (asked.structuredContent as { text: string }).text;
      expect(said).toMatch(/^I am the reference agent, running without a model\./);
      expect(textOf(asked)).toBe(said);
      expect(pieces.length).toBeGreaterThan(1);
    });
  });
});
