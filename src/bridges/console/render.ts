import { stripControls } from '../../core/chat/text.js';
import type { Button, Outbound, Span } from '../../core/chat/types.js';

const ansi = {
  bold: ['\x1b[1m', '\x1b[22m'],
  code: ['\x1b[36m', '\x1b[39m'],
  italic: ['\x1b[3m', '\x1b[23m'],
} as const;

function renderSpan(span: Span, color: boolean): string {
  const text = stripControls(span.text);
  const withLink = span.href && span.href !== span.text ? `${text} (${stripControls(span.href)})` : text;
  if (!color || !span.style) return withLink;
  const [on, off] = ansi[span.style];
  return `${on}${withLink}${off}`;
}

/** Renders a message for a terminal; `number` assigns each button the number a person types to press it. */
export function renderMessage(
  message: Outbound,
  opts: { color: boolean; number: (button: Button) => number },
): string[] {
  const lines = message.lines.map((line) => line.map((span) => renderSpan(span, opts.color)).join(''));
  for (const row of message.buttons ?? []) {
    lines.push(row.map((b) => `[${opts.number(b)}] ${stripControls(b.label)}`).join('   '));
  }
  return lines;
}
