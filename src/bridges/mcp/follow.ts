import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { StreamEvent } from '../../core/router/command.js';

type Extra = Pick<RequestHandlerExtra<ServerRequest, ServerNotification>, '_meta' | 'sendNotification'>;

const stepEnded = new Set(['done', 'failed', 'skipped']);

/**
 * How far a stream has come, as MCP progress (which must only ever grow): a job counts its steps
 * done out of all of them; an answer counts the pieces of text it has sent, with no total.
 */
function progressOf(event: StreamEvent, state: { done: number; pieces: number }) {
  const data = event.data as Record<string, unknown>;
  if (event.event === 'step' && typeof data.status === 'string' && stepEnded.has(data.status)) {
    state.done += 1;
    return { progress: state.done, message: `${String(data.title)}: ${data.status}` };
  }
  if (event.event === 'text') {
    state.pieces += 1;
    return { progress: state.pieces };
  }
  return undefined;
}

/**
 * Reads a command's events until `end` and returns that event's data (undefined if the stream stopped
 * first: the client cancelled). When the client asked for progress, each step of a job (or piece of an
 * answer) is told as `notifications/progress`; `total` is the job's step count where known.
 */
export async function follow(
  events: AsyncIterable<StreamEvent>,
  extra: Extra,
  total?: number,
): Promise<unknown> {
  const token = extra._meta?.progressToken;
  const state = { done: 0, pieces: 0 };
  for await (const event of events) {
    if (event.event === 'end') return event.data;
    const progress = token === undefined ? undefined : progressOf(event, state);
    if (progress && token !== undefined) {
      await extra.sendNotification({
        method: 'notifications/progress',
        params: { progressToken: token, ...progress, ...(total === undefined ? {} : { total }) },
      });
    }
  }
  return undefined;
}
