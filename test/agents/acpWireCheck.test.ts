import type { AnyMessage } from '@agentclientprotocol/sdk';
import { describe, expect, it } from 'vitest';
import { checkAcpWire } from './acpWireCheck.js';

// The checker must reject what the v1 schema rejects, or the real-agent test's "no violations" is empty.

async function run(fromClient: AnyMessage[], fromAgent: AnyMessage[]) {
  const agentSide = new TransformStream<AnyMessage, AnyMessage>();
  const sent: AnyMessage[] = [];
  const check = checkAcpWire({
    readable: agentSide.readable,
    writable: new WritableStream({ write: (m) => void sent.push(m) }),
  });
  const toAgent = check.stream.writable.getWriter();
  for (const m of fromClient) await toAgent.write(m);
  const toClient = agentSide.writable.getWriter();
  const reader = check.stream.readable.getReader();
  for (const m of fromAgent) {
    void toClient.write(m);
    await reader.read();
  }
  return { ...check, sent };
}

const initialize: AnyMessage = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: 1, clientCapabilities: {} },
};

describe('the ACP v1 wire check', () => {
  it('passes valid messages through unchanged', async () => {
    const answer: AnyMessage = {
      jsonrpc: '2.0',
      id: 0,
      result: { protocolVersion: 1, agentCapabilities: {} },
    };
    const { violations, sent, transcript } = await run([initialize], [answer]);
    expect(violations).toEqual([]);
    expect(sent).toEqual([initialize]);
    expect(transcript.map((t) => t.direction)).toEqual(['client→agent', 'agent→client']);
  });

  it('rejects a bad result, an unknown update kind and a response to nothing', async () => {
    const { violations } = await run(
      [initialize],
      [
        { jsonrpc: '2.0', id: 0, result: { protocolVersion: 'one' } },
        {
          jsonrpc: '2.0',
          method: 'session/update',
          params: { sessionId: 's', update: { sessionUpdate: 'telepathy', content: 'hi' } },
        },
        { jsonrpc: '2.0', id: 7, result: {} },
      ],
    );
    expect(violations.map((v) => `${v.direction} ${v.what}`)).toEqual([
      'agent→client response to initialize',
      'agent→client session/update',
      'agent→client response',
    ]);
    expect(violations[2]?.errors).toEqual(['answers no request with id 7']);
  });
});
