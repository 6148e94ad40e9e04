import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Caller } from '../../src/core/access/access.js';
import { createMessenger } from '../../src/core/chat/messenger.js';
import { message, plainText } from '../../src/core/chat/outbound.js';
import type { ActionAnswer, ChatRef, Inbound } from '../../src/core/chat/types.js';
import { createApprovals } from '../../src/core/prompts/approvals.js';
import type { Services } from '../../src/core/router/command.js';
import { openStore, type Store } from '../../src/core/store/index.js';
import { prompts, stopPrompt } from '../../src/prompts/index.js';
import { silentLog, tempDir } from '../support/env.js';
import { manualClock } from '../support/manualClock.js';
import { memoryBridge } from '../support/memoryBridge.js';

const team: ChatRef = { platform: 'telegram', chatId: '-100' };
const person = (userId: string, level: Caller['level']): Caller => ({
  user: { platform: 'telegram', userId },
  chat: team,
  level,
  principal: `telegram:${userId}`,
});

describe('the Stop button on an answer', () => {
  let close: () => void = () => undefined;
  afterEach(() => close());

  it('counts only on the answer it was attached to, once, for the asker or an operator, and never redraws it', async () => {
    const { dir, cleanup } = tempDir('fleetbot-stop-');
    const clock = manualClock();
    const store: Store = openStore(path.join(dir, 'fleetbot.db'), clock);
    close = () => {
      store.close();
      cleanup();
    };
    // An allowed team chat: an expired card there would be redrawn, were it not on an answer.
    store.chats.allow('telegram', team.chatId, 'config');
    const mem = memoryBridge();
    const messenger = createMessenger([mem.bridge]);
    const stopped: { by: string; turnId: number }[] = [];
    const services = {
      conversations: {
        stopTurn: (caller: Caller, turnId: number) => {
          stopped.push({ by: caller.principal, turnId });
          return stopped.length === 1;
        },
      },
      now: () => clock.now(),
    } as unknown as Services;
    const approvals = createApprovals({
      store,
      messenger,
      prompts,
      services: () => services,
      clock,
      log: silentLog,
      ttlMs: 600_000,
      policyFor: () => 'self',
    });

    const { promptId, drawn } = approvals.issue(stopPrompt, {
      payload: { turnId: 7, agent: 'alice', asker: 'telegram:1' },
      view: undefined,
      chat: team,
      ttlMs: 3_600_000,
      requestedBy: 'telegram:1',
    });
    const stopId = drawn.buttons![0]![0]!.id;
    expect(drawn.buttons).toEqual([[{ id: stopId, label: '⏹ Stop', style: 'danger' }]]);
    const answer = await messenger.send(team, { ...message('alice is writing…'), buttons: drawn.buttons! });
    const press = (who: Caller): Promise<ActionAnswer> =>
      approvals.press(who, {
        kind: 'action',
        chat: team,
        user: who.user,
        direct: false,
        message: answer,
        actionId: stopId,
        at: new Date(clock.now()),
      } satisfies Extract<Inbound, { kind: 'action' }>);

    // Until the answer's message is known, the button is valid nowhere.
    expect((await press(person('1', 'viewer'))).text).toMatch(/not valid/);
    approvals.attach(promptId, answer);
    expect(await press(person('2', 'viewer'))).toEqual({
      text: 'Only telegram:1, who asked, or an operator can stop alice.',
      alert: true,
    });
    expect(await press(person('1', 'viewer'))).toEqual({ text: 'Stopping alice…' });
    expect(await press(person('3', 'operator'))).toEqual({ text: 'Already resolved (stop by telegram:1).' });
    expect(stopped).toEqual([{ by: 'telegram:1', turnId: 7 }]);

    // A button left behind (fleetbot stopped mid-turn) expires without touching the answer.
    const second = approvals.issue(stopPrompt, {
      payload: { turnId: 8, agent: 'alice', asker: 'telegram:1' },
      view: undefined,
      chat: team,
      ttlMs: 3_600_000,
      requestedBy: 'telegram:1',
    });
    approvals.attach(second.promptId, answer);
    await clock.advance(3_600_000);
    expect(await approvals.sweep()).toBe(1);
    expect(mem.sent.map((s) => s.versions.map(plainText))).toEqual([['alice is writing…']]);
    const audit = store.audit.recent(10).map((e) => `${e.action} ${e.outcome}`);
    expect(audit).toEqual(expect.arrayContaining(['stop approved', 'stop refused', 'stop expired']));
  });
});
