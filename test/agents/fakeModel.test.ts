import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModel, type FakeModel } from './fakeModel.js';

// The scripted model the real-agent test talks to: its stream has to look like OpenAI's, and what it
// refuses has to be what the real API refuses, or the real-agent test proves nothing.

let model: FakeModel;

beforeEach(async () => {
  model = await startFakeModel({ model: 'scripted-coder', apiKey: 'k-test', chunkDelayMs: 0 });
});

afterEach(async () => {
  await model.close();
});

async function complete(body: unknown, apiKey = 'k-test'): Promise<Response> {
  return fetch(`${model.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
}

function events(text: string): unknown[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: ') && block !== 'data: [DONE]')
    .map((block) => JSON.parse(block.slice('data: '.length)) as unknown);
}

const ask = {
  model: 'scripted-coder',
  stream: true,
  stream_options: { include_usage: true },
  messages: [{ role: 'user', content: 'hi' }],
};

describe('the fake OpenAI-compatible model', () => {
  it('streams a scripted text answer as chunks, then usage, then [DONE]', async () => {
    model.script({ kind: 'text', chunks: ['Hel', 'lo'] });
    const res = await complete(ask);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const body = await res.text();
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
    const chunks = events(body) as Array<{
      choices: Array<{ delta: { content?: string }; finish_reason: string | null }>;
    }>;
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello');
    expect(chunks.map((c) => c.choices[0]?.finish_reason ?? null)).toEqual([null, null, 'stop', null]);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 12 } });
    expect(model.requests).toHaveLength(1);
    expect(model.violations).toEqual([]);
  });

  it('streams a tool call whose arguments join into the scripted JSON', async () => {
    model.script({ kind: 'toolCall', id: 'call_1', name: 'bash', arguments: { command: 'ls' } });
    const chunks = events(await (await complete({ ...ask, stream_options: undefined })).text()) as Array<{
      choices: Array<{ delta: { tool_calls?: Array<{ id?: string; function: { arguments: string } }> } }>;
    }>;
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]?.id).toBe('call_1');
    expect(JSON.parse(calls.map((c) => c.function.arguments).join(''))).toEqual({ command: 'ls' });
  });

  it('refuses, and records, what the real API would refuse', async () => {
    expect((await complete(ask, 'wrong')).status).toBe(401);
    expect((await complete({ ...ask, stream: false })).status).toBe(400);
    expect((await complete({ ...ask, messages: [{ role: 'robot', content: 'hi' }] })).status).toBe(400);
    expect((await complete(ask)).status).toBe(400);
    expect(model.violations).toEqual([
      expect.stringContaining('bearer token'),
      expect.stringContaining('stream'),
      expect.stringContaining('role'),
      expect.stringContaining('past the end of the script'),
    ]);
    expect(model.requests).toHaveLength(1);
  });
});
