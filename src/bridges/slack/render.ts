import { plainText } from '../../core/chat/outbound.js';
import type { Button, Outbound, Span } from '../../core/chat/types.js';
import { hasVisibleText, packLines } from '../shared/chunks.js';

// Block Kit limits (docs.slack.dev/reference/block-kit): section text 3000, button text 75, action
// elements 25 per block, confirm dialog title 100, text 300, buttons 30.
export const sectionTextLimit = 3000;
const fallbackLimit = 3000;

/** Slack's mrkdwn needs only these three escaped; everything else a person typed stays as typed. */
export const escapeMrkdwn = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const delimiters = { bold: '*', italic: '_', code: '`' } as const;

/**
 * mrkdwn has no escape for its own delimiters, so a span whose text contains one is shown without that
 * style: the formatting is lost, never the text. Code is the exception: it holds what agents write (log
 * lines, output), and a backtick there would end it early and let the rest pass as fleetbot's own
 * bold or italic text, so inside code a backtick is shown as its look-alike ˋ, which mrkdwn ignores.
 */
function spanMrkdwn(span: Span): string {
  const escaped = escapeMrkdwn(span.text);
  const text = span.style === 'code' ? escaped.replaceAll('`', 'ˋ') : escaped;
  let out = text;
  const mark = span.style ? delimiters[span.style] : undefined;
  if (mark && text.trim() !== '' && !text.includes(mark)) {
    const [, lead = '', core = '', trail = ''] = /^(\s*)(.*?)(\s*)$/s.exec(text) ?? [];
    out = `${lead}${mark}${core}${mark}${trail}`;
  }
  // Only web links become links; a label with a pipe would end the link early, so it goes beside it.
  if (span.href && /^https?:\/\//.test(span.href)) {
    const url = escapeMrkdwn(span.href).replace(/\|/g, '%7C');
    out = out.includes('|') ? `${out} (<${url}>)` : `<${url}|${out}>`;
  }
  return out;
}

const mrkdwnLength = (span: Span): number => spanMrkdwn(span).length;

export type Block = Record<string, unknown>;
/** What chat.postMessage and chat.update take: blocks, and the text notifications and old clients show. */
export type SlackMessage = { text: string; blocks: Block[] };

const truncate = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

const plain = (text: string, max: number) => ({ type: 'plain_text', text: truncate(text, max) });

/** A danger button asks again in Slack's own dialog before the press is sent at all. */
function buttonElement(button: Button): Block {
  return {
    type: 'button',
    // The id alone: what the button does lives in the store, where a forged press cannot change it.
    action_id: button.id,
    value: button.id,
    text: { ...plain(button.label, 75), emoji: true },
    ...(button.style ? { style: button.style } : {}),
    ...(button.style === 'danger'
      ? {
          confirm: {
            title: plain('Are you sure?', 100),
            text: { type: 'mrkdwn', text: truncate(`${escapeMrkdwn(button.label)}?`, 300) },
            confirm: plain(button.label, 30),
            deny: plain('Cancel', 30),
            style: 'danger',
          },
        }
      : {}),
  };
}

const actionBlocks = (message: Outbound): Block[] =>
  (message.buttons ?? [])
    .filter((row) => row.length > 0)
    .map((row, i) => ({
      type: 'actions',
      block_id: `actions-${i}`,
      elements: row.slice(0, 25).map(buttonElement),
    }));

const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text } });

/**
 * A message as one or more Slack messages: sections within Slack's 3000-character limit, at most
 * `sectionsPerMessage` per message, the buttons on the last one, and a text fallback on every one.
 */
export function renderMessages(message: Outbound, sectionsPerMessage = 5): SlackMessage[] {
  if (!hasVisibleText(message))
    return [{ text: '(empty message)', blocks: [section('(empty message)'), ...actionBlocks(message)] }];
  const chunks = packLines(message.lines, sectionTextLimit, mrkdwnLength).filter((lines) =>
    lines.some((line) => line.some((s) => s.text.trim() !== '')),
  );
  const parts: SlackMessage[] = [];
  for (let i = 0; i < chunks.length; i += sectionsPerMessage) {
    const group = chunks.slice(i, i + sectionsPerMessage);
    const lines = group.flat();
    parts.push({
      text: truncate(escapeMrkdwn(plainText({ lines })), fallbackLimit),
      blocks: group.map((chunk) => section(chunk.map((line) => line.map(spanMrkdwn).join('')).join('\n'))),
    });
  }
  parts.at(-1)!.blocks.push(...actionBlocks(message));
  return parts;
}

/** A message edited in place keeps to one Slack message: what does not fit is cut, and says so. */
export function renderEdit(message: Outbound, sectionsPerMessage = 5): SlackMessage {
  const [first, ...rest] = renderMessages({ lines: message.lines }, sectionsPerMessage);
  const blocks = [...first!.blocks];
  if (rest.length > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: '…' }] });
  return { text: first!.text, blocks: [...blocks, ...actionBlocks(message)] };
}

/**
 * The first piece of text whose mrkdwn escape measures at most max (Slack counts what it receives),
 * never ending inside a surrogate pair: how much one streaming call can carry.
 */
export function firstEscapedPiece(text: string, max: number): string {
  let length = 0;
  let end = 0;
  while (end < text.length) {
    const size = escapeMrkdwn(text[end]!).length;
    if (length + size > max) break;
    length += size;
    end++;
  }
  const code = text.charCodeAt(end - 1);
  if (end > 1 && end < text.length && code >= 0xd800 && code <= 0xdbff) end--;
  return text.slice(0, end);
}
