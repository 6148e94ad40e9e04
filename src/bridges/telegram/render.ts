import type { Outbound, Span } from '../../core/chat/types.js';
import { hasVisibleText, packLines } from '../shared/chunks.js';

/** Telegram counts text in UTF-16 code units after entity parsing, which is what String#length counts. */
export const telegramTextLimit = 4096;

const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (text: string): string => escapeHtml(text).replace(/"/g, '&quot;');

function spanHtml(span: Span): string {
  let html = escapeHtml(span.text);
  if (span.style === 'bold') html = `<b>${html}</b>`;
  else if (span.style === 'italic') html = `<i>${html}</i>`;
  else if (span.style === 'code') html = `<code>${html}</code>`;
  // Only web links become links: anything else a span carries is shown, never made clickable.
  if (span.href && /^https?:\/\//.test(span.href)) html = `<a href="${escapeAttr(span.href)}">${html}</a>`;
  return html;
}

/** A piece of a message: its HTML and its length as Telegram will measure it. */
export type Chunk = { html: string; length: number };

const visibleLength = (span: Span): number => span.text.length;

/**
 * Renders a message as HTML chunks of at most `limit` visible characters, split at line boundaries.
 * Empty or whitespace-only text, which Telegram rejects, becomes a visible placeholder.
 */
export function renderChunks(message: Outbound, limit = telegramTextLimit): Chunk[] {
  if (!hasVisibleText(message)) return [{ html: '(empty message)', length: 15 }];
  const chunk = (lines: Span[][]): Chunk => ({
    html: lines.map((line) => line.map(spanHtml).join('')).join('\n'),
    length: lines.reduce((n, line) => n + line.reduce((m, s) => m + s.text.length, 0), lines.length - 1),
  });
  // Nearly every reply fits in one message as it is; only longer ones are measured piece by piece.
  const whole = chunk(message.lines);
  return whole.length <= limit ? [whole] : packLines(message.lines, limit, visibleLength).map(chunk);
}

/** The inline keyboard for a message's buttons; callback data is the opaque id, never its meaning. */
export type InlineKeyboard = {
  inline_keyboard: { text: string; callback_data: string; style?: 'danger' | 'primary' }[][];
};

export function keyboard(message: Outbound): InlineKeyboard | undefined {
  if (!message.buttons?.length) return undefined;
  return {
    inline_keyboard: message.buttons.map((row) =>
      row.map((b) => ({
        text: b.label.slice(0, 64),
        callback_data: b.id,
        ...(b.style ? { style: b.style } : {}),
      })),
    ),
  };
}
