import type { Answer } from '../chat/answer.js';
import { stripControls } from '../chat/text.js';
import type { StreamEvent } from '../router/command.js';

/** A file an agent reported, as a program gets it: at most this many characters of it. */
const maxFileChars = 100_000;

/**
 * An agent's answer for a program (the HTTP API's SSE, MCP's ask_agent) instead of a chat: the same
 * turn, told as events. `text` carries each new piece (controls stripped), `status` the tool-step
 * line, `file` a file the agent reported, and `end` the outcome with the whole text. Buttons have no
 * meaning here: a program cannot press Stop, and a permission request is declined (see conversations).
 */
export function createFeedAnswer(): Answer & {
  events(after: string | undefined, signal: AbortSignal): AsyncIterable<StreamEvent>;
} {
  const log: StreamEvent[] = [];
  let text = '';
  let ended = false;
  const waiting = new Set<() => void>();
  const push = (event: string, data: unknown): void => {
    if (ended) return;
    log.push({ id: String(log.length + 1), event, data });
    for (const wake of waiting) wake();
  };
  const end = (status: 'answered' | 'failed', note: string | undefined): Promise<[]> => {
    push('end', { status, text, ...(note ? { note: stripControls(note) } : {}) });
    ended = true;
    return Promise.resolve([]);
  };
  return {
    append(delta) {
      const clean = stripControls(delta);
      text += clean;
      push('text', { delta: clean });
    },
    status: (lines) => push('status', { lines: (lines ?? []).map(stripControls) }),
    buttons: () => undefined,
    attach: (file) =>
      push('file', {
        name: stripControls(file.name),
        content: stripControls(file.content).slice(0, maxFileChars),
      }),
    finish: (footer) => end('answered', footer),
    fail: (reason) => end('failed', reason),
    async *events(after, signal) {
      let next = after !== undefined && /^\d{1,9}$/.test(after) ? Number(after) : 0;
      while (!signal.aborted) {
        while (next < log.length) {
          const event = log[next++]!;
          yield event;
          if (event.event === 'end') return;
        }
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiting.delete(wake);
            signal.removeEventListener('abort', wake);
            resolve();
          };
          waiting.add(wake);
          signal.addEventListener('abort', wake);
        });
      }
    },
  };
}
