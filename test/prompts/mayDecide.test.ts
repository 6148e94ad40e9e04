import { describe, expect, it } from 'vitest';
import type { Caller } from '../../src/core/access/access.js';
import type { Level } from '../../src/core/access/levels.js';
import type { ChatRef } from '../../src/core/chat/types.js';
import { mayDecide } from '../../src/core/prompts/mayDecide.js';
import type { ApprovalPolicy, Prompt } from '../../src/core/store/prompts.js';
import { alertPrompt } from '../../src/prompts/alert.js';
import { destroyPrompt } from '../../src/prompts/destroy.js';

const now = 1_700_000_000_000;
const team: ChatRef = { platform: 'telegram', chatId: '-100' };
const cardMessage = { chat: team, messageId: '42' };

const destroyCard = (policy: ApprovalPolicy, patch: Partial<Prompt> = {}): Prompt => ({
  policy,
  approveChoice: 'approve',
  id: 'p1',
  kind: 'destroy',
  payload: { agentId: 1, name: 'alice' },
  chat: team,
  messageId: '42',
  shownOn: [cardMessage],
  requestedBy: 'telegram:1',
  createdAt: now - 60_000,
  expiresAt: now + 60_000,
  decidedAt: null,
  decidedBy: null,
  decision: null,
  ...patch,
});

const person = (userId: string, level: Level, chat: ChatRef = team): Caller => ({
  user: { platform: 'telegram', userId },
  chat,
  level,
  principal: `telegram:${userId}`,
});
const requester = person('1', 'operator');
const requestingAdmin = person('1', 'admin');
const otherAdmin = person('2', 'admin');
const otherOperator = person('3', 'operator');
const viewer = person('4', 'viewer');

const press = (prompt: Prompt | undefined, choice: string, caller: Caller, at = now) =>
  mayDecide({
    found: prompt && { prompt, choice },
    card: destroyPrompt,
    caller,
    message: cardMessage,
    now: at,
  });

describe('who may press which card', () => {
  it('lets the requester approve and cancel their own destroy under the self policy', () => {
    expect(press(destroyCard('self'), 'approve', requester)).toEqual({ ok: true });
    expect(press(destroyCard('self'), 'cancel', requester)).toEqual({ ok: true });
  });

  it('under two-person, refuses the requester’s own approval, even an admin’s, but lets them cancel', () => {
    const refused = {
      ok: false,
      reason: 'refused',
      refusal: 'Two-person rule: another admin must approve what you asked for.',
    };
    expect(press(destroyCard('two-person'), 'approve', requester)).toEqual(refused);
    expect(press(destroyCard('two-person'), 'approve', requestingAdmin)).toEqual(refused);
    expect(press(destroyCard('two-person'), 'cancel', requester)).toEqual({ ok: true });
  });

  it('under two-person, lets another admin approve, and no other operator', () => {
    expect(press(destroyCard('two-person'), 'approve', otherAdmin)).toEqual({ ok: true });
    expect(press(destroyCard('two-person'), 'approve', otherOperator)).toEqual({
      ok: false,
      reason: 'refused',
      refusal: 'Two-person rule: only an admin other than the requester can approve this.',
    });
  });

  it('under self, lets an admin decide someone else’s request, and no other operator', () => {
    expect(press(destroyCard('self'), 'approve', otherAdmin)).toEqual({ ok: true });
    expect(press(destroyCard('self'), 'approve', otherOperator)).toEqual({
      ok: false,
      reason: 'refused',
      refusal: 'Only telegram:1, who asked, or an admin can approve this.',
    });
    expect(press(destroyCard('self'), 'cancel', otherOperator)).toEqual({
      ok: false,
      reason: 'refused',
      refusal: 'Only telegram:1, who asked, or an admin can cancel this.',
    });
  });

  it('refuses a viewer with the level the card needs, whatever the policy', () => {
    for (const policy of ['self', 'two-person'] as const) {
      expect(press(destroyCard(policy), 'cancel', viewer)).toEqual({
        ok: false,
        reason: 'refused',
        refusal: 'This needs the operator level; you are viewer.',
      });
    }
  });

  it('treats an id pressed in another chat or on another message as forged', () => {
    const elsewhere = person('1', 'operator', { platform: 'telegram', chatId: '1' });
    expect(press(destroyCard('self'), 'approve', elsewhere)).toEqual({ ok: false, reason: 'unknown button' });
    const otherMessage = { messageId: '41', shownOn: [{ chat: team, messageId: '41' }] };
    expect(press(destroyCard('self', otherMessage), 'approve', requester)).toEqual({
      ok: false,
      reason: 'unknown button',
    });
    const onSlack = person('1', 'operator', { platform: 'slack', chatId: '-100' });
    expect(press(destroyCard('self'), 'approve', onSlack)).toEqual({ ok: false, reason: 'unknown button' });
  });

  it('takes a press on any message showing a program’s card, from an admin only, under either policy', () => {
    const adminDm: ChatRef = { platform: 'telegram', chatId: '2' };
    const fromProgram = (policy: ApprovalPolicy) =>
      destroyCard(policy, {
        chat: { platform: 'api', chatId: 'ci' },
        messageId: null,
        requestedBy: 'api:ci',
        shownOn: [cardMessage, { chat: adminDm, messageId: '7' }],
      });
    const pressOn = (prompt: Prompt, choice: string, caller: Caller, messageId: string) =>
      mayDecide({
        found: { prompt, choice },
        card: destroyPrompt,
        caller,
        message: { chat: caller.chat, messageId },
        now,
      });
    for (const policy of ['self', 'two-person'] as const) {
      expect(pressOn(fromProgram(policy), 'approve', otherAdmin, '42')).toEqual({ ok: true });
      expect(pressOn(fromProgram(policy), 'approve', person('2', 'admin', adminDm), '7')).toEqual({
        ok: true,
      });
      expect(pressOn(fromProgram(policy), 'cancel', otherOperator, '42')).toEqual({
        ok: false,
        reason: 'refused',
        refusal: 'api:ci is a program with an API key: only an admin can decide what it asked for.',
      });
    }
    // A message the card is not on, even in a chat it was shown in, is forged.
    expect(pressOn(fromProgram('self'), 'approve', person('2', 'admin', adminDm), '42')).toEqual({
      ok: false,
      reason: 'unknown button',
    });
    expect(pressOn(fromProgram('self'), 'approve', otherAdmin, '7')).toEqual({
      ok: false,
      reason: 'unknown button',
    });
  });

  it('treats an id we never issued, or of a kind no card is registered for, as forged', () => {
    expect(press(undefined, 'approve', otherAdmin)).toEqual({ ok: false, reason: 'unknown button' });
    expect(
      mayDecide({
        found: { prompt: destroyCard('self'), choice: 'approve' },
        card: undefined,
        caller: otherAdmin,
        message: cardMessage,
        now,
      }),
    ).toEqual({ ok: false, reason: 'unknown button' });
  });

  it('refuses a press at or after the expiry, and takes one just before it', () => {
    const card = destroyCard('self');
    expect(press(card, 'approve', requester, card.expiresAt - 1)).toEqual({ ok: true });
    expect(press(card, 'approve', requester, card.expiresAt)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses any press on a decided card, before asking whether it expired', () => {
    const decided = destroyCard('self', {
      decidedAt: now - 1_000,
      decidedBy: 'telegram:2',
      decision: 'approve',
    });
    expect(press(decided, 'cancel', otherAdmin)).toEqual({ ok: false, reason: 'already decided' });
    expect(press(decided, 'approve', requester, decided.expiresAt + 1)).toEqual({
      ok: false,
      reason: 'already decided',
    });
  });

  it('asks only for each choice’s level on a multi-use alert card, not for the approval policy', () => {
    const alert = destroyCard('self', {
      kind: 'alert',
      approveChoice: null,
      requestedBy: 'fleetbot',
      payload: { incidentId: 1, agentId: 1 },
    });
    const pressAlert = (choice: string, caller: Caller) =>
      mayDecide({ found: { prompt: alert, choice }, card: alertPrompt, caller, message: cardMessage, now });
    expect(pressAlert('logs', viewer)).toEqual({ ok: true });
    expect(pressAlert('restart', viewer)).toEqual({
      ok: false,
      reason: 'refused',
      refusal: 'This needs the operator level; you are viewer.',
    });
    expect(pressAlert('restart', otherOperator)).toEqual({ ok: true });
  });
});
