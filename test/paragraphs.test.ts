import { describe, expect, it } from 'vitest';
import { firstLines, splitParagraphs } from '../src/core/chat/paragraphs.js';

describe('splitParagraphs', () => {
  it('cuts at the last paragraph break that fits, and the pieces joined with it give the text back', () => {
    const text = ['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40)].join('\n\n');
    const pieces = splitParagraphs(text, 90);
    expect(pieces).toEqual(['a'.repeat(40) + '\n\n' + 'b'.repeat(40), 'c'.repeat(40)]);
    expect(pieces.join('\n\n')).toBe(text);
  });

  it('falls back to a line break, then to a hard cut that never splits an emoji', () => {
    expect(splitParagraphs('12345\n67890', 8)).toEqual(['12345', '67890']);
    const emoji = 'x'.repeat(9) + '😀' + 'y';
    const pieces = splitParagraphs(emoji, 10);
    expect(pieces).toEqual(['x'.repeat(9), '😀y']);
    expect(pieces.join('')).toBe(emoji);
  });

  it('leaves text that fits alone', () => {
    expect(splitParagraphs('short', 10)).toEqual(['short']);
    expect(splitParagraphs('', 10)).toEqual(['']);
  });
});

describe('firstLines', () => {
  it('keeps whole lines within both caps', () => {
    expect(firstLines('one\ntwo\nthree\nfour', 2, 100)).toBe('one\ntwo');
    expect(firstLines('one\ntwo\nthree\nfour', 10, 10)).toBe('one\ntwo');
    expect(firstLines('a very long single line', 10, 6)).toBe('a very');
  });
});
