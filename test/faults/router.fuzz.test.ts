import { afterAll, describe, expect, it } from 'vitest';
import { plainText } from '../../src/core/chat/outbound.js';
import type { ChatRef, Inbound, UserRef } from '../../src/core/chat/types.js';
import { createFleetbot } from '../../src/main.js';
import { silentLog, tempDir, testConfig } from '../support/env.js';
import { memoryBridge } from '../support/memoryBridge.js';
import { hostileText } from './support/hostile.js';
import { failOnUnhandledRejections } from './support/noUnhandled.js';
import { fuzzRng } from './support/random.js';
import { count } from './tally.js';

const inputs = 2_000;
const admin: UserRef = { platform: 'telegram', userId: '1', name: 'ada' };
const viewer: UserRef = { platform: 'telegram', userId: '2', name: 'vic' };
const stranger: UserRef = { platform: 'telegram', userId: '666', name: 'mallory' };
const group: ChatRef = { platform: 'telegram', chatId: '-100' };
const dm = (user: UserRef): ChatRef => ({ platform: 'telegram', chatId: user.userId });

describe('the router under hostile commands and forged button presses', () => {
  failOnUnhandledRejections();
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  it(`answers ${inputs} random inputs from a viewer and a stranger without a job, an agent or an empty reply`, async () => {
    const rng = fuzzRng('router');
    const mem = memoryBridge('telegram');
    const bot = await createFleetbot(
      testConfig(tmp.dir, { FLEETBOT_ADMINS: 'telegram:1', FLEETBOT_CHATS: 'telegram:-100' }),
      { bridges: [mem.bridge], log: silentLog },
    );
    try {
      const at = new Date();
      await mem.inject({
        kind: 'command',
        chat: dm(admin),
        user: admin,
        direct: true,
        text: '/allow user telegram:2 viewer',
        at,
      });
      const granted = mem.sent.length;
      for (let i = 0; i < inputs; i++) {
        const user = rng.pick([viewer, stranger]);
        const chat = rng.chance(0.5) ? dm(user) : group;
        const direct = chat === group ? rng.chance(0.3) : true;
        const message = {
          chat,
          messageId: String(rng.chance(0.5) ? rng.int(granted + 3) : hostileText(rng)),
        };
        const inbound: Inbound = rng.chance(0.75)
          ? { kind: 'command', chat, user, direct, text: hostileText(rng), at }
          : { kind: 'action', chat, user, direct, message, actionId: hostileText(rng), at };
        await mem.inject(inbound);
        count('inputs');
      }
      await bot.idle();
      expect(bot.store.jobs.recent(10)).toEqual([]);
      expect(bot.store.agents.list({ includeGone: true })).toEqual([]);
      const empty = mem.sent.filter((s) => s.versions.some((v) => plainText(v).trim() === ''));
      expect(empty).toEqual([]);
      expect(mem.sent.length).toBeGreaterThan(granted);
    } finally {
      await bot.stop();
    }
  });
});
