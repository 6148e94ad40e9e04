import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** One server-sent event's data; a longer one is a flood, not an event. */
export const maxEventChars = 4 * 1024 * 1024;

export class EventTooLong extends Error {
  constructor() {
    super(`the agent sent an event of more than ${maxEventChars / 1024 / 1024} MiB`);
  }
}

/**
 * The `data` of each server-sent event (text/event-stream) in `body`, in order. Comments, `event:`
 * and `id:` lines are read past: Chat Completions streams put everything in `data`.
 */
export async function* sseData(body: Readable): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let data: string[] = [];
  let size = 0;
  const lineOf = function* (line: string): Generator<string> {
    if (line === '') {
      if (data.length) yield data.join('\n');
      data = [];
      size = 0;
    } else if (line.startsWith('data:')) {
      const value = line.slice(5).replace(/^ /, '');
      size += value.length;
      if (size > maxEventChars) throw new EventTooLong();
      data.push(value);
    }
  };
  for await (const chunk of body) {
    pending += decoder.write(chunk as Buffer);
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      yield* lineOf(line);
    }
    if (pending.length > maxEventChars) throw new EventTooLong();
  }
  pending += decoder.end();
  if (pending) yield* lineOf(pending.replace(/\r$/, ''));
  yield* lineOf('');
}
