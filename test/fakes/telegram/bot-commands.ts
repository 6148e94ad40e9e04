import type { MessageEntity } from 'grammy/types';

const WORD_CHAR = /[\p{L}\p{N}_]/u;
const COMMAND_CHAR = /[A-Za-z0-9_]/;

/**
 * The `bot_command` entities the real server attaches to incoming text. grammY's `bot.command()` only
 * matches a message whose entities contain one at offset 0, so injected updates need them too. Mirrors
 * tdlib's match_bot_commands: `/name` (1-64 chars) with an optional `@bot` (3-32 chars), not glued to a
 * word character or to `/`, `<`, `>` on either side.
 */
export function botCommandEntities(text: string): MessageEntity[] {
  const entities: MessageEntity[] = [];
  for (let slash = text.indexOf('/'); slash >= 0; slash = text.indexOf('/', slash + 1)) {
    if (slash > 0 && isBoundaryBlocker(charBefore(text, slash))) continue;
    let end = scan(text, slash + 1);
    const commandLength = end - slash - 1;
    if (commandLength < 1 || commandLength > 64) continue;
    if (text[end] === '@') {
      const mentionEnd = scan(text, end + 1);
      const mentionLength = mentionEnd - end - 1;
      if (mentionLength < 3 || mentionLength > 32) continue;
      end = mentionEnd;
    }
    const next = text.codePointAt(end);
    if (next !== undefined && isBoundaryBlocker(String.fromCodePoint(next))) continue;
    entities.push({ type: 'bot_command', offset: slash, length: end - slash });
  }
  return entities;
}

function scan(text: string, from: number): number {
  let i = from;
  while (i < text.length && COMMAND_CHAR.test(text[i] ?? '')) i++;
  return i;
}

function charBefore(text: string, index: number): string {
  const low = text.charCodeAt(index - 1);
  // Step back over a surrogate pair so that e.g. an emoji before the slash is seen as one character.
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) return text.slice(index - 2, index);
  return text.slice(index - 1, index);
}

function isBoundaryBlocker(char: string): boolean {
  return WORD_CHAR.test(char) || char === '/' || char === '<' || char === '>';
}
