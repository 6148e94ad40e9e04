import { describe, expect, it } from 'vitest';
import { duration, preciseDuration } from '../src/core/chat/format.js';
import { durationText, parseDuration } from '../src/core/runtime/duration.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('durations', () => {
  it('reads single units, compounds from the largest down, and plain seconds', () => {
    expect(parseDuration('1d')).toBe(d);
    expect(parseDuration('1h30m')).toBe(h + 30 * m);
    expect(parseDuration('90s')).toBe(90 * s);
    expect(parseDuration('2h')).toBe(2 * h);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1d 2h 3m 4s')).toBe(d + 2 * h + 3 * m + 4 * s);
    expect(parseDuration('45')).toBe(45 * s);
  });

  it('refuses units out of order, repeated, unknown or missing', () => {
    for (const bad of ['30m1h', '1h1h', '3w', 'h', '', '1.5h', '1h-30m', 'soon'])
      expect(parseDuration(bad), bad).toBeUndefined();
  });

  it('reads back what the bot prints', () => {
    for (const ms of [45 * s, 12 * m, 3 * h, 2 * d]) expect(parseDuration(duration(ms))).toBe(ms);
    for (const ms of [7 * m + 12 * s, h + 3 * m, 45 * s]) expect(parseDuration(preciseDuration(ms))).toBe(ms);
  });

  it('says what it expects and the bounds in words', () => {
    const ttl = durationText({ min: h, max: 90 * d });
    expect(ttl.safeParse('1h30m')).toEqual({ success: true, data: h + 30 * m });
    expect(ttl.safeParse('soon').error?.issues[0]?.message).toBe(
      'a duration such as 90s, 10m, 1h30m, 2h or 7d',
    );
    expect(ttl.safeParse('30m').error?.issues[0]?.message).toBe('at least 1h');
    expect(ttl.safeParse('91d').error?.issues[0]?.message).toBe('at most 90d');
  });
});
