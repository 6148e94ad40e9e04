import type { Outbound, Span } from '../../core/types.js';

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

/** Splits a span's text so no piece is longer than max, never between the halves of a surrogate pair. */
function splitSpan(span: Span, max: number): Span[] {
  const pieces: Span[] = [];
  let rest = span.text;
  while (rest.length > max) {
    let cut = max;
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut--;
    pieces.push({ ...span, text: rest.slice(0, cut) });
    rest = rest.slice(cut);
  }
  pieces.push({ ...span, text: rest });
  return pieces;
}

/** Lines no longer than `limit`; an overlong line is hard-wrapped into several. */
function wrapLines(lines: Span[][], limit: number): Span[][] {
  const out: Span[][] = [];
  for (const line of lines) {
    let current: Span[] = [];
    let length = 0;
    for (const piece of line.flatMap((span) => splitSpan(span, limit))) {
      if (length + piece.text.length > limit) {
        out.push(current);
        current = [];
        length = 0;
      }
      current.push(piece);
      length += piece.text.length;
    }
    out.push(current);
  }
  return out;
}

/**
 * Renders a message as HTML chunks of at most `limit` visible characters, split at line boundaries.
 * Empty or whitespace-only text, which Telegram rejects, becomes a visible placeholder.
 */
export function renderChunks(message: Outbound, limit = telegramTextLimit): Chunk[] {
  const visible = message.lines.some((line) => line.some((s) => s.text.trim() !== ''));
  if (!visible) return [{ html: '(empty message)', length: 15 }];
  const chunks: Chunk[] = [];
  let html: string[] = [];
  let length = 0;
  for (const line of wrapLines(message.lines, limit)) {
    const lineLength = line.reduce((n, s) => n + s.text.length, 0);
    const separator = html.length > 0 ? 1 : 0;
    if (length + separator + lineLength > limit) {
      chunks.push({ html: html.join('\n'), length });
      html = [];
      length = 0;
    }
    length += (html.length > 0 ? 1 : 0) + lineLength;
    html.push(line.map(spanHtml).join(''));
  }
  chunks.push({ html: html.join('\n'), length });
  return chunks;
}

/** Plain text of a message, for a document when it is too long for a few chat messages. */
export const plainLines = (message: Outbound): string =>
  message.lines.map((l) => l.map((s) => s.text).join('')).join('\n');

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
