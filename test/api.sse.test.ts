import { createServer } from 'node:http';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { heartbeatMs, sendEvents } from '../src/bridges/api/sse.js';
import type { StreamEvent } from '../src/core/router/command.js';
import { useCleanups } from './support/cleanups.js';
import { manualClock } from './support/manualClock.js';

describe('Server-Sent Events of the HTTP API', () => {
  const defer = useCleanups();

  it('keeps an idle stream open with comments, and stops following once the client leaves', async () => {
    const clock = manualClock();
    let stoppedFollowing = false;
    let resumedAfter: string | undefined;
    async function* endless(after: string | undefined, signal: AbortSignal): AsyncGenerator<StreamEvent> {
      resumedAfter = after;
      try {
        yield { id: '7', event: 'step', data: { step: 'start' } };
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
      } finally {
        stoppedFollowing = signal.aborted;
      }
    }
    const server = createServer(
      (req, res) => void sendEvents(res, 200, endless, req.headers['last-event-id'] as string, clock),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as { port: number }).port;

    const left = new AbortController();
    const res = await request(`http://127.0.0.1:${port}/`, {
      headers: { 'last-event-id': '6' },
      signal: left.signal,
    });
    expect(res.headers['content-type']).toBe('text/event-stream');
    let text = '';
    const reading = (async () => {
      try {
        for await (const chunk of res.body) text += String(chunk);
      } catch {
        // The client's own abort ends the read.
      }
    })();
    const until = async (holds: () => boolean) => {
      for (let i = 0; i < 200 && !holds(); i++) await new Promise((r) => setTimeout(r, 10));
    };
    await until(() => text.includes('\n\n'));
    expect(text).toBe('id: 7\nevent: step\ndata: {"step":"start"}\n\n');
    expect(resumedAfter).toBe('6');
    await clock.advance(heartbeatMs);
    await until(() => text.includes(': keep-alive'));
    expect(text.endsWith(': keep-alive\n\n')).toBe(true);

    left.abort();
    await reading;
    await until(() => stoppedFollowing);
    expect(stoppedFollowing).toBe(true);
    expect(clock.pending()).toBe(0);
  });
});
