import { describe, expect, it } from 'vitest';
import { hasVisibleText, packLines, type Measure } from '../../src/bridges/shared/chunks.js';
import type { Span } from '../../src/core/chat/types.js';

const length: Measure = (span) => span.text.length;
/** As an HTML renderer counts: `<` becomes `&lt;`, four characters. */
const escaped: Measure = (span) => span.text.replace(/</g, '&lt;').length;

const lines = (...texts: string[]): Span[][] => texts.map((text) => [{ text }]);
/** Each chunk as the text a person would read, its lines joined by line breaks. */
const texts = (chunks: Span[][][]): string[] =>
  chunks.map((chunk) => chunk.map((line) => line.map((s) => s.text).join('')).join('\n'));
const chunkSize = (chunk: Span[][], measure: Measure): number =>
  chunk.reduce((n, line) => n + line.reduce((m, s) => m + measure(s), 0), chunk.length - 1);

describe('packLines', () => {
  it('keeps a message that fits in one chunk', () => {
    expect(texts(packLines(lines('one', 'two'), 100, length))).toEqual(['one\ntwo']);
  });

  it('splits only between lines, counting each line break as one character', () => {
    // "aaaa\nbbbb" is exactly 9; a third line would make 14.
    expect(texts(packLines(lines('aaaa', 'bbbb', 'cccc'), 9, length))).toEqual(['aaaa\nbbbb', 'cccc']);
    // At 8 the line break no longer fits, so each line goes alone.
    expect(texts(packLines(lines('aaaa', 'bbbb'), 8, length))).toEqual(['aaaa', 'bbbb']);
  });

  it('hard-wraps a line longer than the limit, losing nothing', () => {
    const chunks = packLines(lines('short', 'x'.repeat(25), 'tail'), 10, length);
    expect(texts(chunks)).toEqual(['short', 'xxxxxxxxxx', 'xxxxxxxxxx', 'xxxxx\ntail']);
  });

  it('never cuts between the halves of a surrogate pair', () => {
    // Each emoji is two UTF-16 units; a limit of 5 would cut the third one in half.
    const chunks = packLines(lines('😀😀😀😀😀'), 5, length);
    const shown = texts(chunks);
    expect(shown.join('')).toBe('😀😀😀😀😀');
    for (const text of shown) {
      expect(text.length).toBeLessThanOrEqual(5);
      expect(text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
    }
  });

  it('keeps multi-byte text whole and within the limit as the platform measures it', () => {
    const text = 'Grüße aus Zürich — 東京から 👋🏽 ünd ñ';
    const chunks = packLines(lines(text, text), 12, length);
    expect(texts(chunks).join('')).toBe(text + text);
    for (const chunk of chunks) expect(chunkSize(chunk, length)).toBeLessThanOrEqual(12);
  });

  it('measures rendered text, so markup that grows when escaped still fits', () => {
    const chunks = packLines(lines('<<<<<<<<<<'), 10, escaped);
    // Two escaped `<` make 8 characters; a third would make 12.
    expect(texts(chunks)).toEqual(['<<', '<<', '<<', '<<', '<<']);
    for (const chunk of chunks) expect(chunkSize(chunk, escaped)).toBeLessThanOrEqual(10);
  });

  it('keeps each piece of a split span in its style and link', () => {
    const span: Span = { text: 'abcdefgh', style: 'bold', href: 'https://example.test' };
    const chunks = packLines([[{ text: 'go ' }, span]], 6, length);
    expect(chunks.flat(2)).toEqual([{ text: 'go ' }, { ...span, text: 'abcdef' }, { ...span, text: 'gh' }]);
    expect(texts(chunks)).toEqual(['go ', 'abcdef', 'gh']);
  });

  it('keeps empty lines, which a person sees as blank lines', () => {
    expect(texts(packLines(lines('a', '', 'b'), 100, length))).toEqual(['a\n\nb']);
  });

  it('packs random text into chunks within the limit that read back as the original', () => {
    let seed = 7;
    const random = (n: number): number => (seed = (seed * 48271) % 2147483647) % n;
    const alphabet = ['a', ' ', '<', 'ü', '😀', '東'];
    for (let round = 0; round < 200; round++) {
      const original = Array.from({ length: 1 + random(6) }, () =>
        Array.from({ length: random(30) }, () => alphabet[random(alphabet.length)]).join(''),
      );
      // At least 4, what one escaped `<` measures: a single character is never split.
      const limit = 4 + random(20);
      const chunks = packLines(lines(...original), limit, escaped);
      for (const chunk of chunks) expect(chunkSize(chunk, escaped)).toBeLessThanOrEqual(limit);
      const rejoined = texts(chunks).join('\n').replace(/\n/g, '');
      expect(rejoined).toBe(original.join(''));
    }
  });
});

describe('hasVisibleText', () => {
  it('is false for no lines, empty lines and whitespace only, which platforms reject', () => {
    expect(hasVisibleText({ lines: [] })).toBe(false);
    expect(hasVisibleText({ lines: [[], [{ text: ' \n\t' }]] })).toBe(false);
    expect(hasVisibleText({ lines: [[], [{ text: ' .' }]] })).toBe(true);
  });
});
