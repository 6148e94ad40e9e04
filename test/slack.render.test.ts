import { describe, expect, it } from 'vitest';
import { localiseCommands } from '../src/bridges/slack/commands.js';
import { commandText } from '../src/bridges/slack/inbound.js';
import { renderEdit, renderMessages } from '../src/bridges/slack/render.js';
import { bold, code, italic, link, message } from '../src/core/chat/outbound.js';

const sectionText = (out: ReturnType<typeof renderEdit>): string =>
  out.blocks.map((b) => (b.text as { text: string } | undefined)?.text ?? '').join('\n');

describe('slack rendering', () => {
  it('escapes every controlled string and keeps formatting only where mrkdwn can express it', () => {
    const [out] = renderMessages(
      message(
        [bold('a <b> & c'), ' ', code('x`y'), ' ', italic('snake_case'), ' ', italic('fine')],
        [link('docs', 'https://example.com/?a=1&b=<2>'), ' ', link('a|b', 'https://example.com/p|q')],
        [link('never', 'javascript:alert(1)'), ' ', bold('  spaced  ')],
      ),
    );
    expect(sectionText(out!)).toBe(
      [
        '*a &lt;b&gt; &amp; c* `xˋy` snake_case _fine_',
        '<https://example.com/?a=1&amp;b=&lt;2&gt;|docs> a|b (<https://example.com/p%7Cq>)',
        'never   *spaced*  ',
      ].join('\n'),
    );
    expect(out!.text).toBe('a &lt;b&gt; &amp; c x`y snake_case fine\ndocs a|b\nnever   spaced  ');
  });

  it('puts buttons in actions blocks with the id alone, and asks Slack to confirm danger', () => {
    const [out] = renderMessages({
      lines: [[{ text: 'Destroy alice?' }]],
      buttons: [
        [
          { id: 'k1', label: 'Destroy alice', style: 'danger' },
          { id: 'k2', label: 'Keep it' },
        ],
      ],
    });
    expect(out!.blocks[1]).toEqual({
      type: 'actions',
      block_id: 'actions-0',
      elements: [
        {
          type: 'button',
          action_id: 'k1',
          value: 'k1',
          text: { type: 'plain_text', text: 'Destroy alice', emoji: true },
          style: 'danger',
          confirm: {
            title: { type: 'plain_text', text: 'Are you sure?' },
            text: { type: 'mrkdwn', text: 'Destroy alice?' },
            confirm: { type: 'plain_text', text: 'Destroy alice' },
            deny: { type: 'plain_text', text: 'Cancel' },
            style: 'danger',
          },
        },
        {
          type: 'button',
          action_id: 'k2',
          value: 'k2',
          text: { type: 'plain_text', text: 'Keep it', emoji: true },
        },
      ],
    });
  });

  it('keeps an edit to one message, marking what was cut', () => {
    const long = message(...Array.from({ length: 400 }, (_, i) => `line ${i} ${'y'.repeat(60)}`));
    expect(renderMessages(long, 2).length).toBeGreaterThan(1);
    const edit = renderEdit(long, 2);
    expect(edit.blocks.filter((b) => b.type === 'section')).toHaveLength(2);
    expect(edit.blocks.at(-1)).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: '…' }] });
  });

  it('turns /fleet text, mentions and DMs into the router’s command form', () => {
    expect(commandText('deploy swe alice')).toBe('/deploy swe alice');
    expect(commandText('')).toBe('/help');
    expect(commandText('<@U0BOT|fleetbot>   /list  ', 'U0BOT')).toBe('/list');
    expect(commandText('hey <@U0BOT> logs a -n 5 &amp; &lt;x&gt;', 'U0BOT')).toBe('/logs a -n 5 & <x>');
    expect(
      localiseCommands(
        message(['Try ', code('/status a'), ' or /help; not /other or http://x/status']),
        '/fleet',
        ['status', 'help'],
      )
        .lines[0]!.map((s) => s.text)
        .join(''),
    ).toBe('Try /fleet status a or /fleet help; not /other or http://x/status');
  });
});
