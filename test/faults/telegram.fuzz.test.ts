import { describe, expect, it } from 'vitest';
import { decodeUpdate } from '../../src/bridges/telegram/inbound.js';
import type { FakeChat } from '../fakes/telegram/index.js';
import { ann, annDm, bob, telegramSessions } from '../support/telegramSession.js';
import { hostileText, mutate } from './support/hostile.js';
import { failOnUnhandledRejections } from './support/noUnhandled.js';
import { fuzzRng, type Rng } from './support/random.js';
import { count } from './tally.js';

const decoded = 5_000;
const sentToBot = 300;
const bobDm: FakeChat = { id: bob.id, type: 'private' };

// Telegram carries at most 64 bytes of callback data; a forged press is still a well-formed update.
function callbackData(rng: Rng): string {
  let data = hostileText(rng).slice(0, 64);
  while (Buffer.byteLength(data) > 64) data = data.slice(0, -1);
  return data;
}

function validUpdate(rng: Rng, id: number): unknown {
  const from = { id: 1001, is_bot: false, first_name: 'Ann', username: 'ann' };
  const message = {
    message_id: rng.int(100),
    date: 1_700_000_000,
    chat: { id: rng.pick([1001, -100123]), type: rng.pick(['private', 'supergroup']) },
    from,
    text: hostileText(rng),
    entities: [{ type: 'bot_command', offset: 0, length: rng.int(20) }],
    message_thread_id: rng.int(5),
    is_topic_message: rng.chance(0.5),
  };
  return rng.chance(0.5)
    ? { update_id: id, message }
    : { update_id: id, callback_query: { id: String(id), from, data: callbackData(rng), message } };
}

describe('Telegram inbound under random and forged updates', () => {
  failOnUnhandledRejections();
  const session = telegramSessions();

  it(`decodes ${decoded} mutated updates into an inbound, a migration or an ignore, never a throw`, () => {
    const rng = fuzzRng('telegram decode');
    for (let i = 0; i < decoded; i++) {
      const result = decodeUpdate(mutate(rng, validUpdate(rng, i)), new Date());
      count('inputs');
      expect(['inbound', 'migrated', 'ignored']).toContain(result.kind);
      if (result.kind === 'inbound') {
        expect(result.inbound.chat.chatId).toMatch(/^-?\d+$/);
        expect(result.inbound.user.userId).toMatch(/^-?\d+$/);
      }
    }
  });

  it(`the real bridge answers ${sentToBot} hostile texts and forged button presses without a job`, async () => {
    const rng = fuzzRng('telegram bridge');
    const s = await session();
    await s.say(annDm, ann, '/list');
    const card = s.fake.messages(annDm.id).at(-1)!;
    let presses = 0;
    for (let i = 0; i < sentToBot; i++) {
      if (rng.chance(0.5)) {
        s.fake.sendText({ chat: bobDm, from: bob, text: hostileText(rng).slice(0, 4096) || '.' });
      } else {
        const from = rng.pick([ann, bob]);
        s.fake.pressButton({
          chat: annDm,
          from,
          messageId: card.messageId,
          data: callbackData(rng),
          forged: true,
        });
        presses++;
      }
      count('inputs');
    }
    await s.fake.waitFor(() => s.fake.callbackAnswers.length >= presses, 20_000);
    await s.settle();
    expect(s.fatal).toEqual([]);
    expect(s.bot.store.jobs.recent(10)).toEqual([]);
    expect(s.bot.store.agents.list({ includeGone: true })).toEqual([]);
    const texts = [annDm, bobDm].flatMap((c) => s.fake.messages(c.id).map((m) => m.plainText.trim()));
    expect(texts.filter((t) => t === '')).toEqual([]);
    s.fake.assertNoViolations();
  });
});
