import type { InlineKeyboardMarkup, MessageEntity } from 'grammy/types';
import { badRequest } from './errors.js';
import { parseTelegramHtml } from './html.js';

/**
 * Content rules the spec's type information cannot express: size limits measured after entity parsing,
 * parse_mode syntax and inline keyboard buttons.
 */

const TEXT_LIMIT = 4096;
const CAPTION_LIMIT = 1024;
const CALLBACK_DATA_MAX_BYTES = 64;

export interface FormattedText {
  /** What a person sees. */
  plain: string;
  entities: MessageEntity[];
}

/** The `text` of sendMessage / editMessageText after parsing, with Telegram's emptiness and length checks. */
export function messageText(params: Record<string, unknown>, kind: 'send' | 'edit'): FormattedText {
  const raw = typeof params.text === 'string' ? params.text : '';
  const formatted = format(raw, params.parse_mode, params.entities, 'text');
  if (formatted.plain.trim() === '') {
    throw badRequest(
      'text',
      'text is empty or only whitespace after entity parsing',
      'message text is empty',
    );
  }
  // Telegram counts UTF-16 code units, which is exactly JS string length.
  if (formatted.plain.length > TEXT_LIMIT) {
    throw badRequest(
      'text',
      `text is ${formatted.plain.length} UTF-16 code units after entity parsing; the limit is ${TEXT_LIMIT}`,
      kind === 'send' ? 'message is too long' : 'MESSAGE_TOO_LONG',
    );
  }
  return formatted;
}

/** The `text` of sendMessageDraft: may be empty (a "Thinking…" placeholder), at most 4096 after parsing. */
export function draftText(params: Record<string, unknown>): FormattedText {
  const raw = typeof params.text === 'string' ? params.text : '';
  const formatted = format(raw, params.parse_mode, params.entities, 'text');
  if (formatted.plain.length > TEXT_LIMIT) {
    throw badRequest(
      'text',
      `draft text is ${formatted.plain.length} UTF-16 code units after entity parsing; the limit is ${TEXT_LIMIT}`,
      'TEXTDRAFT_TOO_LONG',
    );
  }
  return formatted;
}

export function caption(params: Record<string, unknown>): FormattedText | undefined {
  if (typeof params.caption !== 'string') return undefined;
  const formatted = format(params.caption, params.parse_mode, params.caption_entities, 'caption');
  if (formatted.plain.length > CAPTION_LIMIT) {
    throw badRequest(
      'caption',
      `caption is ${formatted.plain.length} UTF-16 code units after entity parsing; the limit is ${CAPTION_LIMIT}`,
      'message caption is too long',
    );
  }
  return formatted;
}

function format(raw: string, parseMode: unknown, entities: unknown, field: string): FormattedText {
  const mode = typeof parseMode === 'string' && parseMode !== '' ? parseMode.toLowerCase() : undefined;
  if (mode === undefined)
    return { plain: raw, entities: Array.isArray(entities) ? (entities as MessageEntity[]) : [] };
  if (mode === 'html') {
    const parsed = parseTelegramHtml(raw);
    if (!parsed.ok)
      throw badRequest(field, `malformed HTML: ${parsed.error}`, `can't parse entities: ${parsed.error}`);
    return { plain: parsed.text, entities: parsed.entities };
  }
  // Markdown flavours are accepted as-is: the fake does not implement their (escaping-heavy) grammar.
  if (mode === 'markdown' || mode === 'markdownv2') return { plain: raw, entities: [] };
  throw badRequest(
    'parse_mode',
    `unsupported parse_mode ${JSON.stringify(parseMode)}`,
    'unsupported parse_mode',
  );
}

const BUTTON_ACTIONS = [
  'url',
  'callback_data',
  'web_app',
  'login_url',
  'switch_inline_query',
  'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat',
  'copy_text',
  'callback_game',
  'pay',
] as const;

const BUTTON_STYLES = new Set(['danger', 'success', 'primary']);

/**
 * Checks the buttons of an inline keyboard and returns it; other markup kinds (reply keyboards, force
 * reply) are not part of the sent Message, so they yield undefined.
 */
export function inlineKeyboard(markup: unknown): InlineKeyboardMarkup | undefined {
  if (typeof markup !== 'object' || markup === null || !('inline_keyboard' in markup)) return undefined;
  const rows = markup.inline_keyboard;
  if (!Array.isArray(rows)) return undefined;
  rows.forEach((row: unknown, r) => {
    if (!Array.isArray(row)) return;
    row.forEach((button: unknown, b) =>
      checkButton(button as Record<string, unknown>, `reply_markup.inline_keyboard[${r}][${b}]`),
    );
  });
  return markup as InlineKeyboardMarkup;
}

function checkButton(button: Record<string, unknown>, path: string): void {
  const actions = BUTTON_ACTIONS.filter((a) => button[a] !== undefined);
  if (actions.length === 0) {
    throw badRequest(
      path,
      `button has no action field (one of ${BUTTON_ACTIONS.join(', ')})`,
      "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
    );
  }
  if (actions.length > 1) {
    throw badRequest(
      path,
      `button has ${actions.length} action fields (${actions.join(', ')}); exactly one is allowed`,
      "can't parse inline keyboard button: more than one button action specified",
    );
  }
  const data = button.callback_data;
  if (typeof data === 'string') {
    const bytes = Buffer.byteLength(data, 'utf8');
    if (bytes < 1 || bytes > CALLBACK_DATA_MAX_BYTES) {
      throw badRequest(
        `${path}.callback_data`,
        `callback_data is ${bytes} bytes (UTF-8); it must be 1-${CALLBACK_DATA_MAX_BYTES}`,
        'BUTTON_DATA_INVALID',
      );
    }
  }
  if (typeof button.url === 'string' && !isButtonUrl(button.url)) {
    throw badRequest(
      `${path}.url`,
      `url ${JSON.stringify(button.url)} is not an http(s) or tg:// URL`,
      'BUTTON_URL_INVALID',
    );
  }
  if (button.style !== undefined && (typeof button.style !== 'string' || !BUTTON_STYLES.has(button.style))) {
    throw badRequest(
      `${path}.style`,
      `style ${JSON.stringify(button.style)} is not one of danger, success, primary`,
      "can't parse inline keyboard button: invalid button style specified",
    );
  }
}

function isButtonUrl(url: string): boolean {
  try {
    return ['http:', 'https:', 'tg:'].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}
