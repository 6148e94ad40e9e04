import type { ServerResponse } from 'node:http';
import type { Clock } from '../../core/runtime/clock.js';
import type { StreamEvent } from '../../core/router/command.js';

/** Often enough that proxies (nginx's 60 s default) keep an idle stream open. */
export const heartbeatMs = 15_000;

const frame = (e: StreamEvent): string =>
  `${e.id === undefined ? '' : `id: ${e.id}\n`}event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;

/**
 * Writes a command's events as Server-Sent Events until the stream ends (after its `end` event) or
 * the client leaves, which aborts the stream so nothing keeps following a job for nobody.
 */
export async function sendEvents(
  res: ServerResponse,
  status: number,
  events: (after: string | undefined, signal: AbortSignal) => AsyncIterable<StreamEvent>,
  after: string | undefined,
  clock: Clock,
): Promise<void> {
  const left = new AbortController();
  res.once('close', () => left.abort());
  res.writeHead(status, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  let beat: unknown;
  const heartbeat = (): void => {
    beat = clock.setTimeout(() => {
      if (left.signal.aborted) return;
      res.write(': keep-alive\n\n');
      heartbeat();
    }, heartbeatMs);
  };
  heartbeat();
  try {
    for await (const event of events(after, left.signal)) {
      if (left.signal.aborted) break;
      res.write(frame(event));
      if (event.event === 'end') break;
    }
  } finally {
    clock.clearTimeout(beat);
    res.end();
  }
}
