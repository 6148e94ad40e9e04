import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createConsoleBridge } from '../src/bridges/console/index.js';
import { bold, code, message } from '../src/core/chat/outbound.js';
import type { Inbound } from '../src/core/chat/types.js';
import { memoryHost } from './support/memoryHost.js';

function harness(tty: boolean) {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (c: Buffer) => (text += c.toString()));
  const bridge = createConsoleBridge({ input, output, tty, columns: () => 40 });
  const received: Inbound[] = [];
  return {
    bridge,
    input,
    received,
    text: () => text,
    start: () => bridge.start(async (i) => void received.push(i), memoryHost().host),
  };
}

describe('console bridge', () => {
  it('on a terminal, rewrites the last block in place and styles spans', async () => {
    const h = harness(true);
    await h.start();
    const ref = await h.bridge.send(
      { platform: 'console', chatId: 'local' },
      message([bold('Deploy'), ' ', code('alice')], 'step 1'),
    );
    await h.bridge.edit(ref, message('done'));
    expect(h.text()).toContain('\x1b[1mDeploy\x1b[22m \x1b[36malice\x1b[39m\nstep 1\n');
    // Two rows up, clear to the end of the screen, then the new version.
    expect(h.text().endsWith('\x1b[2A\x1b[0Jdone\n')).toBe(true);
  });

  it('on a pipe, prints each version as a block naming its message, without escape codes', async () => {
    const h = harness(false);
    await h.start();
    const ref = await h.bridge.send({ platform: 'console', chatId: 'local' }, message('v1 \x1b[31mred'));
    await h.bridge.edit(ref, message('v2'));
    expect(h.text()).toBe('── message m1 ──\nv1 [31mred\n── message m1 (edited) ──\nv2\n');
  });

  it('turns typed numbers into button presses of the buttons on screen, and lines into commands', async () => {
    const h = harness(false);
    await h.start();
    const ref = await h.bridge.send(
      { platform: 'console', chatId: 'local' },
      {
        ...message('Sure?'),
        buttons: [
          [
            { id: 'opaque-a', label: 'Yes' },
            { id: 'opaque-b', label: 'No' },
          ],
        ],
      },
    );
    expect(h.text()).toContain('[1] Yes   [2] No');
    h.input.write('2\n/list --all\n7\n');
    await new Promise((r) => setTimeout(r, 50));
    expect(h.received).toMatchObject([
      {
        kind: 'action',
        actionId: 'opaque-b',
        message: ref,
        direct: true,
        user: { platform: 'console', userId: 'local' },
      },
      { kind: 'command', text: '/list --all' },
    ]);
    expect(h.text()).toContain('No button 7 is showing.');
    // After an edit the old numbers no longer press anything.
    await h.bridge.edit(ref, message('Resolved'));
    h.input.write('1\n');
    await new Promise((r) => setTimeout(r, 50));
    expect(h.received).toHaveLength(2);
    expect(h.text()).toContain('No button 1 is showing.');
  });
});
