import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { createApiKey } from '../src/core/access/apiKeys.js';
import type { ApiScope } from '../src/core/access/apiScopes.js';
import type { FakeChat } from './fakes/telegram/index.js';
import { ann, annDm, buttonData, telegramSessions, type TelegramSession } from './support/telegramSession.js';

const team: FakeChat = { id: -555, type: 'group', title: 'Team' };

const keyWith = (s: TelegramSession, name: string, scopes: ApiScope[]): string =>
  createApiKey(s.bot.store, { name, scopes, createdBy: `telegram:${ann.id}`, expiresAt: null }).key;

/** Presses a button (by its callback data) as Ann and waits for the answer and for the bot to settle. */
async function pressAsAnn(
  s: TelegramSession,
  chat: FakeChat,
  messageId: number,
  data: string,
): Promise<string> {
  const press = s.fake.pressButton({ chat, from: ann, messageId, data });
  await s.fake.waitFor(() => s.fake.callbackAnswers.some((a) => a.callbackQueryId === press.callbackQueryId));
  await s.settle();
  return s.fake.callbackAnswers.find((a) => a.callbackQueryId === press.callbackQueryId)!.text ?? '';
}

describe('a destroy asked for by a program', () => {
  const session = telegramSessions();

  it('shows its approval card to the admin and to the chat following the agent, and destroys only after an admin approves', async () => {
    const s = await session({ api: true });
    const api = s.api!;
    await s.say(annDm, ann, '/deploy swe alice');
    const url = /URL: (http:\/\/127\.0\.0\.1:\d+)/.exec(s.fake.lastText(annDm.id)!)![1]!;
    await s.say(annDm, ann, '/allow chat telegram:-555');
    await s.say(team, ann, '/alerts on agent alice');
    const key = keyWith(s, 'ci', ['agents:read', 'agents:destroy']);

    const asked = await api.call('DELETE', '/v1/agents/alice', { template: '/v1/agents/{name}', key });
    await s.settle();
    expect(asked.status).toBe(202);
    expect(asked.body).toEqual({
      approval: {
        status: 'pending_approval',
        id: expect.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) as string,
        kind: 'destroy',
        requestedBy: 'api:ci',
        expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as string,
        shownIn: 2,
      },
    });
    const inDm = s.fake.messages(annDm.id).at(-1)!;
    const inTeam = s.fake.messages(team.id).at(-1)!;
    for (const card of [inDm, inTeam]) {
      expect(card.plainText).toMatch(/^Destroy alice\?\nswe on local · owner telegram:1001/);
      expect(card.plainText).toMatch(
        /Asked by api:ci, a program: an admin approves or cancels, by \d\d:\d\d UTC/,
      );
    }
    // Nothing happens until a person decides.
    const before = await api.call('GET', '/v1/agents/alice', { template: '/v1/agents/{name}', key });
    expect(before.body).toMatchObject({ agent: { name: 'alice', status: 'running' } });
    expect(s.bot.store.jobs.recent(10).map((j) => j.kind)).toEqual(['deploy']);
    expect((await request(`${url}/health`)).statusCode).toBe(200);

    // A client that still shows the private chat's card can send its Cancel after the decision.
    const staleCancel = buttonData(s, annDm.id, inDm.messageId, /^Cancel$/);
    const approve = buttonData(s, team.id, inTeam.messageId, /^Approve destroy$/);
    expect(await pressAsAnn(s, team, inTeam.messageId, approve)).toBe('Destroying alice…');
    const approved =
      /^Destroy of alice approved by telegram:1001 at \d\d:\d\d UTC \(asked by api:ci\)\. Progress: job #2;/;
    const textOf = (chat: FakeChat, messageId: number) =>
      s.fake.messages(chat.id).find((m) => m.messageId === messageId)!.plainText;
    expect(textOf(team, inTeam.messageId)).toMatch(approved);
    expect(textOf(annDm, inDm.messageId)).toMatch(approved);
    expect(s.fake.lastText(team.id)).toMatch(/^✅ Done: Destroy alice · job #2/);
    expect(s.bot.store.jobs.byId(2)).toMatchObject({
      kind: 'destroy',
      requester: 'api:ci',
      status: 'succeeded',
    });
    const after = await api.call('GET', '/v1/agents/alice', { template: '/v1/agents/{name}', key });
    expect(after.body).toMatchObject({ agent: { name: 'alice', status: 'destroyed' } });
    await expect(request(`${url}/health`)).rejects.toThrow();

    // The card in the private chat is spent too.
    expect(await pressAsAnn(s, annDm, inDm.messageId, staleCancel)).toBe(
      'Already resolved (approve by telegram:1001).',
    );
    s.fake.assertNoViolations();
  });

  it('refuses a key without agents:destroy, showing no card anywhere', async () => {
    const s = await session({ api: true });
    const api = s.api!;
    await s.say(annDm, ann, '/deploy swe alice');
    const shown = s.fake.messages(annDm.id).length;
    const key = keyWith(s, 'deployer', ['agents:read', 'agents:deploy']);

    const refused = await api.call('DELETE', '/v1/agents/alice', { template: '/v1/agents/{name}', key });
    expect(refused.status).toBe(403);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.body).toEqual({
      type: 'urn:fleetbot:problem:forbidden',
      title: 'Forbidden',
      status: 403,
      detail:
        'The key deployer has the scopes agents:read, agents:deploy; /destroy needs agents:destroy. Ask an admin for a key with that scope (/keys create).',
    });
    await s.settle();
    expect(s.fake.messages(annDm.id)).toHaveLength(shown);
    expect(s.bot.store.audit.recent(1)[0]).toMatchObject({
      platform: 'api',
      userId: 'deployer',
      action: 'destroy',
      outcome: 'refused: needs scope agents:destroy',
    });
    const still = await api.call('GET', '/v1/agents/alice', { template: '/v1/agents/{name}', key });
    expect(still.body).toMatchObject({ agent: { name: 'alice', status: 'running' } });
  });
});
