import { describe, expect, it } from 'vitest';
import { message } from '../src/core/chat/outbound.js';
import { createMessenger } from '../src/core/chat/messenger.js';
import { agentText } from '../src/core/chat/text.js';
import { memoryBridge } from './support/memoryBridge.js';

const invisible = '\u202e\u2066\u200b\u200d\u2060\ufeff\u061c';

describe('text headed for a chat', () => {
  it('leaves the messenger without bidi controls, zero-width characters or C0/C1 controls', async () => {
    const mem = memoryBridge('telegram');
    const messenger = createMessenger([mem.bridge]);
    const chat = { platform: 'telegram' as const, chatId: '1' };
    const ref = await messenger.send(chat, {
      ...message(`alice: status ${invisible}ok\u0007`, [{ text: `tab\there${invisible}` }]),
      buttons: [[{ id: 'b', label: `Ack${invisible}` }]],
    });
    await messenger.edit(ref, message(`edited ${invisible}text\nsecond line`));
    const [first, edited] = mem.sent[0]!.versions;
    expect(first).toEqual({
      lines: [[{ text: 'alice: status ok' }], [{ text: 'tab\there' }]],
      buttons: [[{ id: 'b', label: 'Ack' }]],
    });
    expect(edited).toEqual({ lines: [[{ text: 'edited text\nsecond line' }]] });
  });

  it("cuts an agent's text to its cap, counted after cleaning", () => {
    expect(agentText(`${invisible}${'a'.repeat(20)}`, 10)).toBe(`${'a'.repeat(9)}…`);
    expect(agentText(`${invisible}short`, 10)).toBe('short');
  });
});
