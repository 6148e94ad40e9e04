import { commands } from '../../../src/commands/index.js';
import type { Rng } from './random.js';

const names = commands.map((c) => c.name);

// Pieces people and attackers type: shell and quoting metacharacters, markup, JSON, escapes, lookalikes.
const fragments = [
  '"',
  "'",
  '“',
  '”',
  '‘',
  '’',
  '\\',
  '\\"',
  '`',
  '$(',
  ')',
  '${IFS}',
  ';',
  '&&',
  '||',
  '|',
  '>',
  '<',
  '*',
  '?',
  '~',
  '#',
  '%',
  '\n',
  '\r\n',
  '\t',
  '\u0000',
  '\u0007',
  '\u001b[31m',
  '\u202e',
  '\u200b',
  '\ufeff',
  '\ud800',
  '🙂',
  '👨‍👩‍👧',
  'ß',
  'İ',
  'ﬁ',
  'Ⅻ',
  '０',
  '-',
  '--',
  '---',
  '-n',
  '--provider',
  '--all',
  '-n=5',
  '--=',
  '=',
  '<b>',
  '</b>',
  '<a href="javascript:x">',
  '&amp;',
  '&#0;',
  '<script>',
  '{"a":1}',
  '[]',
  '{',
  '}',
  'null',
  'NaN',
  '-1',
  '0',
  '1e309',
  '99999999999999999999',
  '0x1f',
  '../../etc/passwd',
  '@',
  '@FleetTestBot',
  '@other_bot',
  '/',
  '//',
  'alice',
  'swe',
  'hetzner',
  'local',
  '*bold*',
  '_it_',
  '```',
];

function randomCodePoint(rng: Rng): string {
  const ranges: [number, number][] = [
    [0x20, 0x7e],
    [0x00, 0x1f],
    [0x80, 0x2ff],
    [0x2000, 0x206f],
    [0x4e00, 0x4eff],
    [0x1f300, 0x1f64f],
    [0xe000, 0xf8ff],
  ];
  const [lo, hi] = rng.pick(ranges);
  return String.fromCodePoint(lo + rng.int(hi - lo + 1));
}

function randomWord(rng: Rng): string {
  if (rng.chance(0.5)) return rng.pick(fragments);
  return Array.from({ length: 1 + rng.int(12) }, () => randomCodePoint(rng)).join('');
}

/** A hostile chat text: often a real or mangled command with random arguments, sometimes huge. */
export function hostileText(rng: Rng): string {
  const words = Array.from({ length: rng.int(8) }, () => randomWord(rng));
  const head = rng.chance(0.7)
    ? `/${rng.chance(0.8) ? rng.pick(names) : randomWord(rng)}${rng.chance(0.3) ? `@${rng.pick(['FleetTestBot', 'other_bot', '', randomWord(rng)])}` : ''}`
    : randomWord(rng);
  const text = [head, ...words].join(rng.pick([' ', '  ', '\t', '\n', '']));
  return rng.chance(0.03) ? text.repeat(1 + rng.int(3000)) : text;
}

/** A random JSON value of bounded depth, with hostile strings and awkward numbers. */
export function randomJson(rng: Rng, depth = 3): unknown {
  switch (rng.int(depth > 0 ? 8 : 5)) {
    case 0:
      return hostileText(rng);
    case 1:
      return rng.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), Number.MAX_SAFE_INTEGER, 1e308, rng.int(1e9)]);
    case 2:
      return rng.chance(0.5);
    case 3:
      return null;
    case 4:
      return undefined;
    case 5:
      return Array.from({ length: rng.int(4) }, () => randomJson(rng, depth - 1));
    default:
      return Object.fromEntries(
        Array.from({ length: rng.int(5) }, () => [randomWord(rng), randomJson(rng, depth - 1)]),
      );
  }
}

/**
 * A copy of `valid` with a few fields replaced by random values, dropped, or joined by strange ones:
 * near-valid input reaches deeper into a decoder than noise does.
 */
export function mutate(rng: Rng, valid: unknown, rate = 0.25): unknown {
  if (rng.chance(rate / 3)) return randomJson(rng);
  if (Array.isArray(valid)) return valid.map((v) => mutate(rng, v, rate));
  if (valid === null || typeof valid !== 'object') return rng.chance(rate) ? randomJson(rng, 1) : valid;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(valid)) {
    if (rng.chance(rate / 4)) continue;
    out[k] = mutate(rng, v, rate);
  }
  if (rng.chance(rate / 2)) out[randomWord(rng)] = randomJson(rng, 1);
  return out;
}
