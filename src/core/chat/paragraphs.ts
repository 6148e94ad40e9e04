/**
 * Long text cut into pieces of at most `limit` characters: at the last paragraph break (a blank line)
 * that fits, else the last line break, else hard at the limit (never inside a surrogate pair). The
 * break a cut falls on is dropped, so the pieces joined with it give the text back.
 */
export function splitParagraphs(text: string, limit: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const paragraph = rest.lastIndexOf('\n\n', limit);
    const line = rest.lastIndexOf('\n', limit);
    const [cut, skip] = paragraph > 0 ? [paragraph, 2] : line > 0 ? [line, 1] : [hardCut(rest, limit), 0];
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut + skip);
  }
  pieces.push(rest);
  return pieces;
}

function hardCut(text: string, limit: number): number {
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}

/** The text's first lines, at most maxLines and maxChars of them, cut at a line break. */
export function firstLines(text: string, maxLines: number, maxChars: number): string {
  const lines = text.slice(0, maxChars).split('\n').slice(0, maxLines);
  // A line the character cap cut short is dropped, unless it is the only one.
  if (lines.length > 1 && text.length > maxChars && lines.join('\n').length >= maxChars) lines.pop();
  return lines.join('\n');
}
