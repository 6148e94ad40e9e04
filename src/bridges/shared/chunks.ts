import type { Outbound, Span } from '../../core/chat/types.js';

/** How long a span is as the platform counts it (visible characters, or rendered markup). */
export type Measure = (span: Span) => number;

/**
 * Splits a span so no piece measures more than max, never between the halves of a surrogate pair.
 * The cut is found by bisection because a rendered measure (escapes, markup) is not linear in the text.
 */
function splitSpan(span: Span, max: number, measure: Measure): Span[] {
  const pieces: Span[] = [];
  let rest = span.text;
  while (rest.length > 1 && measure({ ...span, text: rest }) > max) {
    let lo = 1;
    let hi = rest.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (measure({ ...span, text: rest.slice(0, mid) }) <= max) lo = mid;
      else hi = mid - 1;
    }
    let cut = lo;
    const code = rest.charCodeAt(cut - 1);
    if (cut > 1 && code >= 0xd800 && code <= 0xdbff) cut--;
    pieces.push({ ...span, text: rest.slice(0, cut) });
    rest = rest.slice(cut);
  }
  pieces.push({ ...span, text: rest });
  return pieces;
}

/** Lines that measure no more than `limit`; an overlong line is hard-wrapped into several. */
function wrapLines(lines: Span[][], limit: number, measure: Measure): Span[][] {
  const out: Span[][] = [];
  for (const line of lines) {
    let current: Span[] = [];
    let length = 0;
    for (const piece of line.flatMap((span) => splitSpan(span, limit, measure))) {
      const size = measure(piece);
      if (length + size > limit) {
        out.push(current);
        current = [];
        length = 0;
      }
      current.push(piece);
      length += size;
    }
    out.push(current);
  }
  return out;
}

/** Whether a person would see anything: platforms reject empty and whitespace-only text. */
export const hasVisibleText = (message: Outbound): boolean =>
  message.lines.some((line) => line.some((s) => s.text.trim() !== ''));

/**
 * Groups a message's lines into chunks that each measure at most `limit`, counting one character for
 * each line break inside a chunk, and splitting only at line boundaries unless a line is too long.
 */
export function packLines(lines: Span[][], limit: number, measure: Measure): Span[][][] {
  const chunks: Span[][][] = [];
  let current: Span[][] = [];
  let length = 0;
  for (const line of wrapLines(lines, limit, measure)) {
    const lineLength = line.reduce((n, s) => n + measure(s), 0);
    const separator = current.length > 0 ? 1 : 0;
    if (current.length > 0 && length + separator + lineLength > limit) {
      chunks.push(current);
      current = [];
      length = 0;
    }
    length += (current.length > 0 ? 1 : 0) + lineLength;
    current.push(line);
  }
  chunks.push(current);
  return chunks;
}
