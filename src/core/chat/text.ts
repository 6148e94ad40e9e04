/* eslint-disable no-control-regex -- these patterns exist to find control characters */
import type { Outbound } from './types.js';

/**
 * Characters that garble or disguise text: C0/C1 controls except tab and newline (they garble
 * terminals, logs and chat layouts), and the invisible format characters (bidi embeddings, overrides
 * and isolates, zero-width spaces and joiners, the byte-order mark) that reorder or hide what a
 * reader sees, e.g. an agent's health answer that shows "healthy" while saying something else.
 */
const controls =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/g;
const ansiSgr = /\x1b\[[0-9;]*m/g;

export const stripControls = (text: string): string => text.replace(controls, '');

/** The printable width of text that may carry colour codes. */
export const visibleLength = (text: string): number => text.replace(ansiSgr, '').length;

/**
 * Text an agent controls (its health answer, its output), made fit for a chat message: cleaned and
 * cut to `maxChars`, so one agent cannot flood a chat or a card with its own words.
 */
export function agentText(text: string, maxChars: number): string {
  const clean = stripControls(text);
  return clean.length > maxChars ? `${clean.slice(0, maxChars - 1)}…` : clean;
}

/** A message with every span, link and button label cleaned: the last step before any bridge. */
export const cleanOutbound = (out: Outbound): Outbound => ({
  lines: out.lines.map((line) =>
    line.map((span) => ({
      ...span,
      text: stripControls(span.text),
      ...(span.href === undefined ? {} : { href: stripControls(span.href) }),
    })),
  ),
  ...(out.buttons
    ? { buttons: out.buttons.map((row) => row.map((b) => ({ ...b, label: stripControls(b.label) }))) }
    : {}),
});
