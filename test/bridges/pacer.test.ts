import { describe, expect, it } from 'vitest';
import { createPacer, type PaceRule } from '../../src/bridges/shared/pacer.js';
import { manualClock } from '../support/manualClock.js';

/** A pacer on a manual clock that records when (ms after the start) each call ran, by name. */
function setup(rule: (key: string) => PaceRule) {
  const clock = manualClock();
  const start = clock.now();
  const pacer = createPacer({ clock, rule });
  const ran: [string, number][] = [];
  const call = (key: string, name: string) =>
    pacer.schedule(key, async () => {
      ran.push([name, clock.now() - start]);
      return name;
    });
  return { clock, pacer, ran, call };
}

describe('pacer', () => {
  it('runs the first call at once and spaces the next ones in a chat by minIntervalMs', async () => {
    const t = setup(() => ({ minIntervalMs: 1000 }));
    const done = [t.call('a', 'one'), t.call('a', 'two'), t.call('a', 'three')];
    await t.clock.advance(2500);
    expect(t.ran).toEqual([
      ['one', 0],
      ['two', 1000],
      ['three', 2000],
    ]);
    expect(await Promise.all(done)).toEqual(['one', 'two', 'three']);
  });

  it('never makes one chat wait for another', async () => {
    const t = setup(() => ({ minIntervalMs: 1000 }));
    void t.call('a', 'a1');
    void t.call('a', 'a2');
    void t.call('b', 'b1');
    await t.clock.advance(1000);
    expect(t.ran).toEqual([
      ['a1', 0],
      ['b1', 0],
      ['a2', 1000],
    ]);
  });

  it('holds a chat to perMinute calls in any sliding minute', async () => {
    const t = setup(() => ({ minIntervalMs: 100, perMinute: 3 }));
    for (const name of ['1', '2', '3', '4', '5']) void t.call('group', name);
    await t.clock.advance(70_000);
    // The fourth waits until the first is a minute old, the fifth until the second is.
    expect(t.ran).toEqual([
      ['1', 0],
      ['2', 100],
      ['3', 200],
      ['4', 60_000],
      ['5', 60_100],
    ]);
  });

  it('applies each chat its own rule', async () => {
    const t = setup((key) => (key.startsWith('-') ? { minIntervalMs: 3000 } : { minIntervalMs: 500 }));
    for (const key of ['-1', '-1', '7', '7']) void t.call(key, key);
    await t.clock.advance(3000);
    expect(t.ran).toEqual([
      ['-1', 0],
      ['7', 0],
      ['7', 500],
      ['-1', 3000],
    ]);
  });

  it('sends nothing to a paused chat until the pause is over, and other chats go on', async () => {
    const t = setup(() => ({ minIntervalMs: 0 }));
    await t.call('a', 'before');
    t.pacer.pause('a', 5000);
    t.pacer.pause('a', 2000); // a shorter pause never shortens a longer one
    void t.call('a', 'after');
    void t.call('b', 'other');
    await t.clock.advance(4999);
    expect(t.ran.map(([name]) => name)).toEqual(['before', 'other']);
    await t.clock.advance(1);
    expect(t.ran.at(-1)).toEqual(['after', 5000]);
  });

  it('runs one call at a time per chat, in order, even when the spacing has passed', async () => {
    const t = setup(() => ({ minIntervalMs: 0 }));
    let release = (): void => undefined;
    const slow = t.pacer.schedule(
      'a',
      () => new Promise<string>((resolve) => (release = () => resolve('slow'))),
    );
    void t.call('a', 'next');
    await t.clock.advance(10_000);
    expect(t.ran).toEqual([]);
    expect(t.pacer.depth('a')).toBe(2);
    release();
    expect(await slow).toBe('slow');
    await t.clock.advance(0);
    expect(t.ran.map(([name]) => name)).toEqual(['next']);
    expect(t.pacer.depth('a')).toBe(0);
  });

  it('passes a failed call’s error to its caller and goes on with the next', async () => {
    const t = setup(() => ({ minIntervalMs: 0 }));
    const failed = t.pacer.schedule('a', () => Promise.reject(new Error('boom')));
    const next = t.call('a', 'next');
    await expect(failed).rejects.toThrow('boom');
    await t.clock.advance(0);
    expect(await next).toBe('next');
  });
});
