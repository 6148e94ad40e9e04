import { afterEach, describe, expect, it } from 'vitest';
import { createFleetbot, type Fleetbot } from '../src/main.js';
import type { ChatRef, UserRef } from '../src/core/chat/types.js';
import { silentLog, tempDir, testConfig } from './support/env.js';
import { memoryBridge } from './support/memoryBridge.js';

const ann: UserRef = { platform: 'slack', userId: 'UANN' };
const eve: UserRef = { platform: 'slack', userId: 'UEVE' };
const ops: ChatRef = { platform: 'slack', chatId: 'COPS' };

describe('who a reply is for', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup() {
    const tmp = tempDir();
    const mem = memoryBridge('slack');
    const bot: Fleetbot = await createFleetbot(
      testConfig(tmp.dir, { FLEETBOT_ADMINS: 'slack:UANN', FLEETBOT_CHATS: 'slack:COPS' }),
      { bridges: [mem.bridge], log: silentLog },
    );
    cleanups.push(tmp.cleanup, async () => {
      await bot.idle();
      await bot.stop();
    });
    const say = (user: UserRef, text: string, chat = ops) =>
      mem.inject({ kind: 'command', chat, user, direct: false, text, at: new Date() });
    return { mem, say };
  }

  it('addresses refusals and errors to the sender alone, and results to the channel', async () => {
    const { mem, say } = await setup();
    await say(ann, '/whoami');
    await say(ann, '/frobnicate');
    await say(ann, '/deploy');
    await say(eve, '/deploy swe evil');
    await say(ann, '/list', { platform: 'slack', chatId: 'CELSEWHERE' });
    expect(mem.sent.map((s) => s.onlyFor)).toEqual([
      undefined,
      'slack:UANN',
      'slack:UANN',
      'slack:UEVE',
      'slack:UANN',
    ]);
    expect(mem.texts()[0]).toMatch(/^You: slack:UANN/);
    expect(mem.texts()[3]).toBe(
      '/deploy needs the operator level; you are viewer.\nAsk an admin (slack:UANN) to send /allow user slack:UEVE operator.',
    );
  });
});
