import { describe, expect, it } from 'vitest';
import { parseTelegramHtml } from './html.js';

function parsed(html: string) {
  const result = parseTelegramHtml(html);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(html)} to parse, got: ${result.error}`);
  return result;
}

function failure(html: string): string {
  const result = parseTelegramHtml(html);
  if (result.ok) throw new Error(`expected ${JSON.stringify(html)} to be rejected`);
  return result.error;
}

describe('parseTelegramHtml', () => {
  it('strips tags, decodes entities and reports entities in UTF-16 units', () => {
    const result = parsed('👋 <b>Deploy <i>staging</i></b> &lt;ok&gt; &amp; &quot;done&quot; &#65;&#x42;');
    expect(result.text).toBe('👋 Deploy staging <ok> & "done" AB');
    expect(result.entities).toEqual([
      { type: 'bold', offset: 3, length: 14 },
      { type: 'italic', offset: 10, length: 7 },
    ]);
  });

  it('accepts every tag Telegram documents', () => {
    const html =
      '<strong>a</strong><em>b</em><u>c</u><ins>d</ins><s>e</s><strike>f</strike><del>g</del>' +
      '<a href="https://example.com/?a=1&b=2">h</a><code>i</code><tg-spoiler>j</tg-spoiler>' +
      '<span class="tg-spoiler">k</span><blockquote expandable>l</blockquote><tg-emoji emoji-id="5368324170671202286">m</tg-emoji>' +
      '<pre><code class="language-ts">n</code></pre>';
    const result = parsed(html);
    expect(result.text).toBe('abcdefghijklmn');
    expect(result.entities.map((e) => e.type)).toEqual([
      'bold',
      'italic',
      'underline',
      'underline',
      'strikethrough',
      'strikethrough',
      'strikethrough',
      'text_link',
      'code',
      'spoiler',
      'spoiler',
      'expandable_blockquote',
      'custom_emoji',
      'pre',
    ]);
    expect(result.entities).toContainEqual({
      type: 'text_link',
      offset: 7,
      length: 1,
      url: 'https://example.com/?a=1&b=2',
    });
    expect(result.entities).toContainEqual({ type: 'pre', offset: 13, length: 1, language: 'ts' });
  });

  it.each([
    ['a < b', 'Unsupported start tag "" at byte offset 2'],
    ['<div>x</div>', 'Unsupported start tag "div" at byte offset 0'],
    ['<b>x', 'Can\'t find end tag corresponding to start tag "b"'],
    ['x</b>', 'Unexpected end tag at byte offset 1'],
    ['<b><i>x</b></i>', 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'],
    ['<b', 'Unclosed start tag at byte offset 0'],
    ['<a href>x</a>', 'Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0'],
    ['<span>x</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'],
    ['R&D', 'Character "&" at byte offset 1 does not start an HTML entity; escape it as "&amp;"'],
    ['&nbsp;', 'Character "&" at byte offset 0 does not start an HTML entity; escape it as "&amp;"'],
    ['é <x>', 'Unsupported start tag "x" at byte offset 3'],
  ])('rejects %j', (html, error) => {
    expect(failure(html)).toBe(error);
  });

  it('lets a bare > through, as the server does', () => {
    expect(parsed('a > b').text).toBe('a > b');
  });
});
