import type { Outbound, Span } from './types.js';

// Small builders so commands describe messages as data and bridges decide how to render them.

export const bold = (text: string): Span => ({ text, style: 'bold' });
export const code = (text: string): Span => ({ text, style: 'code' });
export const italic = (text: string): Span => ({ text, style: 'italic' });
export const link = (text: string, href: string): Span => ({ text, href });

type LineInput = string | Span | (string | Span)[];

const toLine = (input: LineInput): Span[] =>
  (Array.isArray(input) ? input : [input]).map((part) => (typeof part === 'string' ? { text: part } : part));

/** A message from lines; each line is a string, a span, or a list of them. */
export const message = (...lines: LineInput[]): Outbound => ({ lines: lines.map(toLine) });

/** Plain text of a message, as a person reading it without formatting would see it. */
export const plainText = (out: Outbound): string =>
  out.lines.map((line) => line.map((span) => span.text).join('')).join('\n');
