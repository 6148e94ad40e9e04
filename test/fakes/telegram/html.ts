import type { MessageEntity } from 'grammy/types';

export type HtmlParseResult =
  { ok: true; text: string; entities: MessageEntity[] } | { ok: false; error: string };

/**
 * Parses `parse_mode: "HTML"` text the way Telegram's server does (tdlib's parse_html): returns the text a
 * person sees plus the entities, or the error message that follows "Bad Request: can't parse entities: ".
 *
 * One deliberate difference: tdlib keeps a bare `&` (or an unknown entity such as `&nbsp;`) as literal text,
 * but the Bot API documentation requires every `&` outside an entity to be escaped. The fake rejects it,
 * because a bot that forgets to escape `&` also forgets to escape `<`, which the real server does reject.
 * Inside quoted attribute values (typically URLs with query strings) a bare `&` is accepted as tdlib does.
 */
export function parseTelegramHtml(html: string): HtmlParseResult {
  return new HtmlParser(html).parse();
}

const ALLOWED_TAGS = new Set([
  'a',
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'code',
  'pre',
  'tg-spoiler',
  'span',
  'blockquote',
  'tg-emoji',
]);

interface OpenTag {
  name: string;
  attributes: Map<string, string>;
  /** UTF-16 offset in the output text where the tag's content starts. */
  offset: number;
}

class ParseError extends Error {}

class HtmlParser {
  private pos = 0;
  private text = '';
  private readonly entities: MessageEntity[] = [];
  private readonly open: OpenTag[] = [];
  private readonly codeLanguages = new Map<MessageEntity, string>();

  constructor(private readonly html: string) {}

  parse(): HtmlParseResult {
    try {
      while (this.pos < this.html.length) {
        const c = this.html[this.pos];
        if (c === '&') this.text += this.entity(false);
        else if (c === '<') this.tag();
        else {
          this.text += c;
          this.pos++;
        }
      }
      const unclosed = this.open.at(-1);
      if (unclosed !== undefined) {
        throw new ParseError(`Can't find end tag corresponding to start tag "${unclosed.name}"`);
      }
    } catch (err) {
      if (err instanceof ParseError) return { ok: false, error: err.message };
      throw err;
    }
    const entities = this.entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
    return { ok: true, text: this.text, entities };
  }

  /** tdlib reports positions as UTF-8 byte offsets into the original text. */
  private byteOffset(index: number): number {
    return Buffer.byteLength(this.html.slice(0, index), 'utf8');
  }

  private entity(lenient: boolean): string {
    const start = this.pos;
    const decoded = decodeEntity(this.html, start);
    if (decoded !== undefined) {
      this.pos = decoded.end;
      return decoded.char;
    }
    if (lenient) {
      this.pos++;
      return '&';
    }
    throw new ParseError(
      `Character "&" at byte offset ${this.byteOffset(start)} does not start an HTML entity; escape it as "&amp;"`,
    );
  }

  private tag(): void {
    const begin = this.pos;
    this.pos++;
    if (this.html[this.pos] === '/') this.endTag(begin);
    else this.startTag(begin);
  }

  private startTag(begin: number): void {
    const name = this.readUntil((c) => isSpace(c) || c === '>').toLowerCase();
    if (this.atEnd()) throw new ParseError(`Unclosed start tag at byte offset ${this.byteOffset(begin)}`);
    if (!ALLOWED_TAGS.has(name)) {
      throw new ParseError(`Unsupported start tag "${name}" at byte offset ${this.byteOffset(begin)}`);
    }
    const attributes = new Map<string, string>();
    for (;;) {
      this.readUntil((c) => !isSpace(c));
      if (this.atEnd()) throw new ParseError(`Unclosed start tag at byte offset ${this.byteOffset(begin)}`);
      if (this.html[this.pos] === '>') break;
      const attribute = this.readUntil((c) => isSpace(c) || c === '=' || c === '>');
      this.readUntil((c) => !isSpace(c));
      if (this.html[this.pos] !== '=') {
        // `<blockquote expandable>` is the one attribute without a value that Telegram understands.
        if (name === 'blockquote' && attribute === 'expandable') {
          attributes.set(attribute, '');
          continue;
        }
        throw new ParseError(
          `Expected equal sign in declaration of an attribute of the tag "${name}" at byte offset ${this.byteOffset(begin)}`,
        );
      }
      this.pos++;
      this.readUntil((c) => !isSpace(c));
      if (this.atEnd())
        throw new ParseError(`Unclosed start tag "${name}" at byte offset ${this.byteOffset(begin)}`);
      attributes.set(attribute, this.attributeValue());
      if (this.atEnd()) throw new ParseError(`Unclosed start tag at byte offset ${this.byteOffset(begin)}`);
    }
    this.pos++;

    if (name === 'span' && attributes.get('class') !== 'tg-spoiler') {
      throw new ParseError(
        `Tag "span" must have class "tg-spoiler" at byte offset ${this.byteOffset(begin)}`,
      );
    }
    if (name === 'tg-emoji' && !/^\d+$/.test(attributes.get('emoji-id') ?? '')) {
      throw new ParseError(
        `Custom emoji entity must contain a valid emoji-id at byte offset ${this.byteOffset(begin)}`,
      );
    }
    this.open.push({ name, attributes, offset: this.text.length });
  }

  private attributeValue(): string {
    const quote = this.html[this.pos];
    if (quote === '"' || quote === "'") {
      this.pos++;
      let value = '';
      while (!this.atEnd() && this.html[this.pos] !== quote) {
        if (this.html[this.pos] === '&') value += this.entity(true);
        else value += this.html[this.pos++];
      }
      if (!this.atEnd()) this.pos++;
      return value;
    }
    const tokenStart = this.pos;
    const token = this.readUntil((c) => !/[A-Za-z0-9.-]/.test(c));
    if (!this.atEnd() && !isSpace(this.html[this.pos] ?? '') && this.html[this.pos] !== '>') {
      throw new ParseError(`Unexpected end of name token at byte offset ${this.byteOffset(tokenStart)}`);
    }
    return token.toLowerCase();
  }

  private endTag(begin: number): void {
    const top = this.open.at(-1);
    if (top === undefined)
      throw new ParseError(`Unexpected end tag at byte offset ${this.byteOffset(begin)}`);
    this.pos++;
    const name = this.readUntil((c) => isSpace(c) || c === '>');
    this.readUntil((c) => !isSpace(c));
    if (this.html[this.pos] !== '>')
      throw new ParseError(`Unclosed end tag at byte offset ${this.byteOffset(begin)}`);
    this.pos++;
    // Like tdlib, the end tag is compared verbatim, so `<B>...</B>` fails while `</>` closes anything.
    if (name !== '' && name !== top.name) {
      throw new ParseError(
        `Unmatched end tag at byte offset ${this.byteOffset(begin)}, expected "</${top.name}>", found "</${name}>"`,
      );
    }
    this.open.pop();
    this.closeEntity(top);
  }

  private closeEntity(tag: OpenTag): void {
    const offset = tag.offset;
    const length = this.text.length - offset;
    if (length === 0) return;
    const range = { offset, length };
    switch (tag.name) {
      case 'b':
      case 'strong':
        this.entities.push({ type: 'bold', ...range });
        return;
      case 'i':
      case 'em':
        this.entities.push({ type: 'italic', ...range });
        return;
      case 'u':
      case 'ins':
        this.entities.push({ type: 'underline', ...range });
        return;
      case 's':
      case 'strike':
      case 'del':
        this.entities.push({ type: 'strikethrough', ...range });
        return;
      case 'tg-spoiler':
      case 'span':
        this.entities.push({ type: 'spoiler', ...range });
        return;
      case 'blockquote':
        this.entities.push({
          type: tag.attributes.has('expandable') ? 'expandable_blockquote' : 'blockquote',
          ...range,
        });
        return;
      case 'tg-emoji':
        this.entities.push({
          type: 'custom_emoji',
          custom_emoji_id: tag.attributes.get('emoji-id') ?? '',
          ...range,
        });
        return;
      case 'a': {
        const url = tag.attributes.get('href') || this.text.slice(offset);
        this.entities.push({ type: 'text_link', url, ...range });
        return;
      }
      case 'code': {
        const entity: MessageEntity = { type: 'code', ...range };
        const language = /^language-(.+)$/.exec(tag.attributes.get('class') ?? '')?.[1];
        if (language !== undefined) this.codeLanguages.set(entity, language);
        this.entities.push(entity);
        return;
      }
      case 'pre': {
        // <pre><code class="language-x">...</code></pre> is a single pre entity carrying the language.
        const last = this.entities.at(-1);
        const language = last === undefined ? undefined : this.codeLanguages.get(last);
        if (
          last !== undefined &&
          language !== undefined &&
          last.offset === offset &&
          last.length === length
        ) {
          this.entities[this.entities.length - 1] = { type: 'pre', language, ...range };
        } else {
          this.entities.push({ type: 'pre', ...range });
        }
        return;
      }
    }
  }

  private readUntil(stop: (c: string) => boolean): string {
    const start = this.pos;
    while (!this.atEnd() && !stop(this.html[this.pos] ?? '')) this.pos++;
    return this.html.slice(start, this.pos);
  }

  private atEnd(): boolean {
    return this.pos >= this.html.length;
  }
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

/** Mirrors tdlib: only lt, gt, amp, quot and numeric references are entities; the `;` is optional. */
function decodeEntity(s: string, pos: number): { char: string; end: number } | undefined {
  let end = pos + 1;
  let char: string;
  if (s[end] === '#') {
    end++;
    const hex = s[end] === 'x';
    if (hex) end++;
    const digitsStart = end;
    while (end < s.length && (hex ? /[0-9a-fA-F]/ : /[0-9]/).test(s[end] ?? '')) end++;
    const code = parseInt(s.slice(digitsStart, end), hex ? 16 : 10);
    if (!(code > 0 && code < 0x10ffff) || end - pos >= 10 || (code >= 0xd800 && code <= 0xdfff))
      return undefined;
    char = String.fromCodePoint(code);
  } else {
    while (end < s.length && /[A-Za-z]/.test(s[end] ?? '')) end++;
    const named = NAMED_ENTITIES[s.slice(pos + 1, end)];
    if (named === undefined) return undefined;
    char = named;
  }
  if (s[end] === ';') end++;
  return { char, end };
}

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };
