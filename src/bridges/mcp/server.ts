import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ApiCall, CallResult } from '../../core/api/call.js';
import { operations, type Operation } from '../../core/api/operations.js';
import { plainText } from '../../core/chat/outbound.js';
import type { JobRecord } from '../../core/api/records.js';
import { follow } from './follow.js';

export type McpCaller = {
  /** The router's `call` (`BridgeHost.call`): every tool is one command through it. */
  call(request: ApiCall): Promise<CallResult>;
  /** Who every call of this server is made as: the request's key, or the console's admin for stdio. */
  who: ApiCall['who'];
  /** Only the tools whose hints say they change nothing. */
  readOnly: boolean;
};

/** fleetbot's version, as the server tells MCP clients: package.json is as far above src/ as above dist/. */
const { version } = z
  .object({ version: z.string() })
  .parse(JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')));

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** The tools MCP serves: every operation, but not the HTTP-only event streams (MCP waits instead). */
export const mcpOperations = (readOnly: boolean): Operation[] =>
  operations.filter((op) => !(op.http?.sse && !op.waits) && (!readOnly || op.hints.readOnly));

const refusal = (detail: string): CallToolResult => ({
  content: [{ type: 'text', text: detail }],
  isError: true,
});

const answer = (record: Record<string, unknown>, text: string): CallToolResult => ({
  content: [{ type: 'text', text: text || JSON.stringify(record) }],
  structuredContent: record,
});

async function runTool(op: Operation, input: Record<string, unknown>, caller: McpCaller, extra: Extra) {
  const called = await caller.call({ who: caller.who, command: op.command, args: op.toArgs(input) });
  if (!called.ok) return refusal(called.detail);
  const result = called.result;
  if (!result) return refusal(`/${op.command} answered nothing a program can use.`);
  const text = called.text.map(plainText).join('\n\n');
  if (!op.waits || !result.events) return answer(result.record, text);
  const job = result.record.job as { steps: unknown[] } | undefined;
  const ended = await follow(result.events(undefined, extra.signal), extra, job?.steps.length);
  if (ended === undefined)
    return refusal('The wait stopped before the end; call the tool again to keep waiting.');
  // A job's stream ends with the job's record (core/jobs/events.ts), an answer's with the answer itself.
  const record = op.output.safeParse(job ? { job: ended } : ended);
  if (!record.success)
    return refusal(
      `/${op.command} ended with a record ${op.name} does not describe; the bot's log may say more.`,
    );
  const out = record.data;
  return answer(out, job ? jobLine(out.job as JobRecord) : (out as { text: string }).text);
}

const jobLine = (job: JobRecord): string =>
  `Job #${job.id} (${job.kind} ${job.subject}) ${job.status}${job.error ? `: ${job.error}` : '.'}`;

/**
 * An MCP server whose tools are the operations table's rows: the same commands, records and refusals
 * as the HTTP API, each call made through the router as `who`. A refusal (no scope, a bad argument, a
 * busy agent) is a tool result with `isError` and the router's words, so the model can read and act
 * on it; protocol errors are left for what the client itself did wrong.
 */
export function createMcpServer(caller: McpCaller): McpServer {
  const server = new McpServer({ name: 'fleetbot', version });
  for (const op of mcpOperations(caller.readOnly)) {
    server.registerTool(
      op.name,
      {
        title: op.summary,
        description: op.summary,
        inputSchema: op.input,
        // A copy without the record's name: MCP wants `type: object` at the top, not a `$ref` to it.
        outputSchema: z.object(op.output.shape),
        annotations: {
          title: op.summary,
          readOnlyHint: op.hints.readOnly,
          destructiveHint: op.hints.destructive,
          idempotentHint: op.hints.idempotent,
        },
      },
      (input: Record<string, unknown>, extra: Extra) => runTool(op, input, caller, extra),
    );
  }
  return server;
}
