import { describe, expect, it } from 'vitest';
import { authenticateApiKey } from '../src/core/access/apiKeys.js';
import type { FakeChat } from './fakes/telegram/index.js';
import { ann, annDm, telegramSessions } from './support/telegramSession.js';

describe('API keys through Telegram', () => {
  const session = telegramSessions();

  it('shows a new key only in a private chat: in a group nothing is made and the admin is sent to a private chat', async () => {
    const s = await session();
    const group: FakeChat = { id: -555, type: 'group', title: 'Team' };
    await s.say(annDm, ann, '/allow chat telegram:-555');

    await s.say(group, ann, '/keys create deployer agents:read');
    expect(s.fake.lastText(group.id)).toBe(
      'A key is shown only once, so never in a group: send /keys create in a private chat with the bot, or run "fleetbot keys create …" on its host. No key was made.',
    );
    expect(s.bot.store.apiKeys.list()).toEqual([]);
    expect(s.bot.store.audit.recent(1)[0]).toMatchObject({
      userId: String(ann.id),
      action: 'keys',
      outcome: 'refused',
    });

    await s.say(annDm, ann, '/keys create deployer agents:read');
    const key = /fbk_[A-Za-z0-9_-]{43}/.exec(s.fake.lastText(annDm.id) ?? '')?.[0];
    expect(key).toBeDefined();
    expect(authenticateApiKey(s.bot.store, Date.now, key)).toMatchObject({
      ok: true,
      principal: 'api:deployer',
      level: 'viewer',
    });
    expect(s.bot.store.apiKeys.list()).toEqual([
      expect.objectContaining({ name: 'deployer', createdBy: `telegram:${ann.id}` }),
    ]);

    // Listing shows no secret, so it may be asked for in the group.
    await s.say(group, ann, '/keys');
    expect(s.fake.lastText(group.id)).toMatch(
      /^API keys \(1\)\ndeployer agents:read · by telegram:1001 · last used/,
    );
    expect(s.fake.messages(group.id).some((m) => m.plainText.includes(key!))).toBe(false);
    s.fake.assertNoViolations();
  });
});
