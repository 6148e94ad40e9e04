import { describe, expect, it } from 'vitest';
import { createFeedAnswer } from '../src/core/conversations/feedAnswer.js';
import type { StreamEvent } from '../src/core/router/command.js';

const collect = async (events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> => {
  const seen: StreamEvent[] = [];
  for await (const e of events) seen.push(e);
  return seen;
};

describe('an answer for a program', () => {
  it('tells each piece as it comes, cleaned, and ends with the whole text', async () => {
    const answer = createFeedAnswer();
    const live = collect(answer.events(undefined, new AbortController().signal));
    answer.append('Hello\u202e, ');
    answer.status(['⚙️ 1 step · running npm test\u0007']);
    answer.append('world\u001b[31m');
    answer.attach({ name: 'notes\u200b.txt', content: 'x'.repeat(200_000) });
    answer.buttons([[{ id: 'stop', label: 'Stop' }]]);
    expect(await answer.finish('⏹ Stopped by telegram:1.')).toEqual([]);
    answer.append('after the end');
    const events = await live;
    expect(events.map((e) => `${e.id} ${e.event}`)).toEqual([
      '1 text',
      '2 status',
      '3 text',
      '4 file',
      '5 end',
    ]);
    expect(events[0]!.data).toEqual({ delta: 'Hello, ' });
    expect(events[1]!.data).toEqual({ lines: ['⚙️ 1 step · running npm test'] });
    const file = events[3]!.data as { name: string; content: string };
    expect(file.name).toBe('notes.txt');
    expect(file.content).toHaveLength(100_000);
    expect(events[4]!.data).toEqual({
      status: 'answered',
      text: 'Hello, world[31m',
      note: '⏹ Stopped by telegram:1.',
    });
  });

  it('resumes after an id, and a failure ends it with the reason', async () => {
    const answer = createFeedAnswer();
    answer.append('partial');
    await answer.fail('the agent went silent for 5 minutes');
    const resumed = await collect(answer.events('1', new AbortController().signal));
    expect(resumed).toEqual([
      {
        id: '2',
        event: 'end',
        data: { status: 'failed', text: 'partial', note: 'the agent went silent for 5 minutes' },
      },
    ]);
  });

  it('stops waiting when the program leaves', async () => {
    const answer = createFeedAnswer();
    const leave = new AbortController();
    const live = collect(answer.events(undefined, leave.signal));
    leave.abort();
    expect(await live).toEqual([]);
  });
});
