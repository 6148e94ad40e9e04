import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Caller } from '../../src/core/access/access.js';
import { createMessenger } from '../../src/core/chat/messenger.js';
import { plainText } from '../../src/core/chat/outbound.js';
import type { ActionAnswer, ChatRef, Inbound, MessageRef } from '../../src/core/chat/types.js';
import { createApprovals } from '../../src/core/prompts/approvals.js';
import type { Services } from '../../src/core/router/command.js';
import { UserError } from '../../src/core/runtime/errors.js';
import type { Agent } from '../../src/core/store/agents.js';
import type { ApprovalPolicy } from '../../src/core/store/prompts.js';
import { openStore, type Store } from '../../src/core/store/index.js';
import { destroyPrompt } from '../../src/prompts/destroy.js';
import { prompts } from '../../src/prompts/index.js';
import { runningAgent } from '../support/agents.js';
import { silentLog, tempDir } from '../support/env.js';
import { manualClock } from '../support/manualClock.js';
import { memoryBridge } from '../support/memoryBridge.js';

const team: ChatRef = { platform: 'telegram', chatId: '-100' };
const elsewhere: ChatRef = { platform: 'telegram', chatId: '-200' };
const dmOf = (userId: string): ChatRef => ({ platform: 'telegram', chatId: userId });
const program: Caller = {
  user: { platform: 'api', userId: 'ci' },
  chat: { platform: 'api', chatId: 'ci' },
  level: 'operator',
  principal: 'api:ci',
  scopes: ['agents:destroy'],
};
const person = (userId: string, level: Caller['level'], chat: ChatRef): Caller => ({
  user: { platform: 'telegram', userId },
  chat,
  level,
  principal: `telegram:${userId}`,
});

/** Approvals over a Telegram memory bridge, with two Telegram admins, a Slack admin and a console admin. */
function setup(policy: ApprovalPolicy = 'self') {
  const { dir, cleanup } = tempDir('fleetbot-program-approvals-');
  const clock = manualClock();
  const store: Store = openStore(path.join(dir, 'fleetbot.db'), clock);
  for (const id of ['1', '2'])
    store.principals.upsert({ platform: 'telegram', userId: id, level: 'admin', source: 'config' });
  store.principals.upsert({ platform: 'telegram', userId: '3', level: 'operator', source: 'config' });
  store.principals.upsert({ platform: 'slack', userId: 'U9', level: 'admin', source: 'config' });
  store.principals.upsert({ platform: 'console', userId: 'local', level: 'admin', source: 'config' });
  const mem = memoryBridge('telegram');
  const messenger = createMessenger([mem.bridge]);
  const destroyed: { agentId: number; requester: string; chat: ChatRef }[] = [];
  const services = {
    store,
    fleet: {
      destroy: (req: { agent: Agent; requester: string; chat: ChatRef }) => {
        destroyed.push({ agentId: req.agent.id, requester: req.requester, chat: req.chat });
        return { id: destroyed.length };
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
    policyFor: () => policy,
  });
  const alice = runningAgent(store, 'alice', 'telegram:3');
  const ask = (about: Agent | undefined = alice) =>
    approvals.ask(
      program,
      destroyPrompt,
      { agentId: alice.id, name: 'alice' },
      {
        agent: alice,
        health: { state: 'healthy', detail: 'ok' },
        steps: ['stop the agent'],
        now: clock.now(),
      },
      about,
    );
  /** The card's message in this chat, and the opaque id of its button with this label. */
  const cardIn = (chat: ChatRef, label: RegExp): { ref: MessageRef; id: string } => {
    const sent = mem.sent.find((s) => s.ref.chat.chatId === chat.chatId)!;
    const button = sent.versions[0]!.buttons!.flat().find((b) => label.test(b.label))!;
    return { ref: sent.ref, id: button.id };
  };
  const press = (who: Caller, label: RegExp, on = who.chat): Promise<ActionAnswer> => {
    const card = cardIn(on, label);
    return approvals.press(who, {
      kind: 'action',
      chat: who.chat,
      user: who.user,
      direct: who.chat.chatId === who.user.userId,
      message: card.ref,
      actionId: card.id,
      at: new Date(clock.now()),
    } satisfies Extract<Inbound, { kind: 'action' }>);
  };
  /** What each chat's card reads now, by chat id. */
  const cards = () =>
    Object.fromEntries(mem.sent.map((s) => [s.ref.chat.chatId, plainText(s.versions.at(-1)!)]));
  return {
    store,
    clock,
    mem,
    approvals,
    alice,
    ask,
    press,
    cards,
    destroyed,
    cleanup: () => (store.close(), cleanup()),
  };
}

describe('a program’s approval card', () => {
  let env: ReturnType<typeof setup> | undefined;
  const start = (policy?: ApprovalPolicy) => (env = setup(policy));
  afterEach(() => env?.cleanup());

  it('goes to the chats that follow the agent and to the admins’ private chats where a bridge runs, each once', async () => {
    const { store, ask, mem, alice } = start();
    store.chats.allow('telegram', team.chatId, 'config');
    store.chats.allow('telegram', elsewhere.chatId, 'config');
    store.subscriptions.add(team, { scope: 'agent', value: 'alice' }, 'telegram:1');
    store.subscriptions.add(elsewhere, { scope: 'role', value: 'other' }, 'telegram:1');
    // Ann follows everything from her private chat: she gets one card there, not two.
    store.subscriptions.add(dmOf('1'), { scope: 'all' }, 'telegram:1');

    const record = await ask();
    expect(record).toMatchObject({
      status: 'pending_approval',
      kind: 'destroy',
      requestedBy: 'api:ci',
      shownIn: 3,
    });
    expect(mem.sent.map((s) => s.ref.chat.chatId).sort()).toEqual(['-100', '1', '2']);
    expect(plainText(mem.sent[0]!.versions[0]!)).toMatch(
      /Asked by api:ci, a program: an admin approves or cancels, by \d\d:\d\d UTC; the buttons work once\.$/,
    );
    const stored = store.prompts.byId(record.id)!;
    expect(stored).toMatchObject({ chat: program.chat, messageId: null, requestedBy: 'api:ci' });
    expect(stored.shownOn.map((m) => m.chat.chatId).sort()).toEqual(['-100', '1', '2']);
    expect(store.audit.recent(1)[0]).toMatchObject({
      platform: 'api',
      userId: 'ci',
      action: 'destroy',
      outcome: 'requested',
      detail: 'shown in 3 chats',
    });
    expect(store.agents.live('alice')?.id).toBe(alice.id);
  });

  it('is decided by one admin’s press on any card, refuses operators, and shows the outcome on every card', async () => {
    const { store, ask, press, cards, destroyed } = start();
    store.chats.allow('telegram', team.chatId, 'config');
    store.subscriptions.add(team, { scope: 'all' }, 'telegram:1');
    await ask();

    expect(await press(person('3', 'operator', team), /^Approve destroy$/)).toEqual({
      text: 'api:ci is a program with an API key: only an admin can decide what it asked for.',
      alert: true,
    });
    expect(destroyed).toEqual([]);

    expect(await press(person('2', 'admin', dmOf('2')), /^Approve destroy$/)).toEqual({
      text: 'Destroying alice…',
    });
    expect(destroyed).toEqual([{ agentId: 1, requester: 'api:ci', chat: dmOf('2') }]);
    const approved =
      'Destroy of alice approved by telegram:2 at 22:13 UTC (asked by api:ci). Progress: job #1; /jobs lists jobs.';
    expect(cards()).toEqual({ '-100': approved, '1': approved, '2': approved });
    expect(await press(person('1', 'admin', team), /^Cancel$/)).toEqual({
      text: 'Already resolved (approve by telegram:2).',
    });
    expect(destroyed).toHaveLength(1);
    expect(store.audit.recent(3).map((a) => `${a.userId} ${a.action} ${a.outcome}`)).toEqual(
      expect.arrayContaining([
        '2 destroy approved',
        '3 destroy refused',
        '1 destroy rejected: already decided',
      ]),
    );
  });

  it('takes exactly one decision when admins press different cards at the same moment', async () => {
    const { ask, press, cards, destroyed } = start('two-person');
    await ask();
    const answers = await Promise.all([
      press(person('1', 'admin', dmOf('1')), /^Cancel$/),
      press(person('2', 'admin', dmOf('2')), /^Approve destroy$/),
      press(person('2', 'admin', dmOf('2')), /^Approve destroy$/),
    ]);
    expect(answers.map((a) => a.text)).toEqual([
      'Cancelled; nothing was changed.',
      'Already resolved (cancel by telegram:1).',
      'Already resolved (cancel by telegram:1).',
    ]);
    expect(destroyed).toEqual([]);
    const cancelled = 'Destroy of alice cancelled by telegram:1 at 22:13 UTC. Nothing was changed.';
    expect(cards()).toEqual({ '1': cancelled, '2': cancelled });
  });

  it('is marked expired on every card that may still be told when its time runs out', async () => {
    const { store, ask, approvals, clock, cards, mem } = start();
    store.chats.allow('telegram', team.chatId, 'config');
    store.subscriptions.add(team, { scope: 'agent', value: 'alice' }, 'telegram:1');
    const record = await ask();
    expect(record.shownIn).toBe(3);
    // Bob loses his access: his private chat is not told any more.
    store.principals.remove('telegram', '2');
    await clock.advance(600_000);
    expect(await approvals.sweep()).toBe(1);
    const expired = 'This destroy request for alice expired unused. Nothing was changed.';
    expect(cards()['-100']).toBe(expired);
    expect(cards()['1']).toBe(expired);
    expect(mem.sent.find((s) => s.ref.chat.chatId === '2')!.versions).toHaveLength(1);
    expect(store.prompts.byId(record.id)).toMatchObject({ decidedBy: 'fleetbot', decision: 'expired' });
  });

  it('tells a press that comes after the expiry so, and marks every card expired', async () => {
    const { ask, press, clock, cards, destroyed } = start();
    await ask();
    await clock.advance(600_000);
    expect(await press(person('1', 'admin', dmOf('1')), /^Approve destroy$/)).toEqual({
      text: 'This request expired. Run the command again for a fresh card.',
      alert: true,
    });
    const expired = 'This destroy request for alice expired unused. Nothing was changed.';
    expect(cards()).toEqual({ '1': expired, '2': expired });
    expect(destroyed).toEqual([]);
  });

  it('goes to the admins too when asked from a chat no bridge here serves (the console admin over MCP)', async () => {
    const { approvals, alice, mem, clock } = start();
    const consoleAdmin: Caller = {
      user: { platform: 'console', userId: 'local' },
      chat: { platform: 'console', chatId: 'local' },
      level: 'admin',
      principal: 'console:local',
    };
    const record = await approvals.ask(
      consoleAdmin,
      destroyPrompt,
      { agentId: alice.id, name: 'alice' },
      {
        agent: alice,
        health: { state: 'healthy', detail: 'ok' },
        steps: ['stop the agent'],
        now: clock.now(),
      },
      alice,
    );
    expect(record).toMatchObject({ requestedBy: 'console:local', shownIn: 2 });
    expect(mem.sent.map((s) => s.ref.chat.chatId).sort()).toEqual(['1', '2']);
  });

  it('is refused, saying what to set up, when no chat could be shown it', async () => {
    const { store, ask, mem, alice } = start();
    for (const id of ['1', '2']) store.principals.remove('telegram', id);
    const refusal = ask();
    await expect(refusal).rejects.toBeInstanceOf(UserError);
    await expect(refusal).rejects.toThrow(
      'No chat could be shown the destroy approval card for alice: no chat follows it and no admin’s private chat with the bot could be reached, so nothing was asked and nothing changed. Have a chat follow it (/alerts on agent alice, or /alerts on all), or have an admin open a private chat with the bot (Telegram) or run the console, then ask again.',
    );
    expect(mem.sent).toEqual([]);
    expect(store.prompts.expiredOpen(Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(store.agents.live('alice')?.id).toBe(alice.id);
  });
});
