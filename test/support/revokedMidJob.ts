import type { Provider } from '../../src/core/fleet/provider.js';
import { systemClock, type Clock } from '../../src/core/runtime/clock.js';
import type { FakeChat, FakeUser } from '../fakes/telegram/index.js';
import { tempDir } from './env.js';
import { ann, annDm, bob, startTelegramBot } from './telegramSession.js';

export const team: FakeChat = { id: -100, type: 'group', title: 'Team' };
export const bobDm: FakeChat = { id: 1002, type: 'private' };

/**
 * The real Telegram bridge against the fake Bot API, on a provider whose restarts wait at a gate. Ann
 * (admin) restarts `alice` from the team group and `amy` from her DM, Bob (operator) `bobby` from his
 * DM; Ann asks to destroy `dora` from the group and `dina` from her DM. While all that waits, Ann
 * revokes the group and Bob; then the restarts finish and the destroy cards' time runs out.
 */
export async function revokedMidJob(defer: (fn: () => Promise<void> | void) => void) {
  const tmp = tempDir();
  defer(tmp.cleanup);
  let openGate: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  const cloud: Provider = {
    name: 'cloud',
    deployPlan: () => [],
    restartPlan: () => [{ key: 'restart', title: 'Restart at the gate', run: () => gate }],
    destroyPlan: () => [],
    status: async () => ({ state: 'healthy', detail: 'ok' }),
    logs: async () => [],
    findRunning: async (agents) => agents.map((agent) => ({ agent, running: true, detail: 'ok' })),
  };
  // Real timers for the bridge and the cards; approvals' expiry jumps when `skew` does.
  let skew = 0;
  const clock: Clock = { ...systemClock, now: () => Date.now() + skew };
  const s = await startTelegramBot(tmp.dir, {
    env: { FLEETBOT_CHATS: `telegram:${team.id}`, FLEETBOT_APPROVAL_TTL: '10m' },
    providers: [cloud],
    clock,
  });
  defer(() => s.stop());
  for (const name of ['alice', 'amy', 'bobby', 'dora', 'dina']) {
    const agent = s.bot.store.agents.create({
      name,
      role: 'swe',
      provider: 'cloud',
      owner: `telegram:${ann.id}`,
    });
    s.bot.store.agents.update(agent.id, { status: 'running' });
  }
  const toChat = (chat: FakeChat, from: number) =>
    s.fake.calls.slice(from).filter((c) => String(c.params.chat_id) === String(chat.id));
  /** Types a command and waits for the bot's first answer in that chat; jobs are left running. */
  const type = async (chat: FakeChat, from: FakeUser, text: string): Promise<void> => {
    const before = s.fake.calls.length;
    s.fake.sendText({ chat, from, text });
    await s.fake.waitFor(() => toChat(chat, before).some((c) => c.method === 'sendMessage'), 5_000);
  };
  await type(annDm, ann, `/allow user telegram:${bob.id} operator`);
  await type(team, ann, '/restart alice');
  await type(annDm, ann, '/restart amy');
  await type(bobDm, bob, '/restart bobby');
  await type(team, ann, '/destroy dora');
  await type(annDm, ann, '/destroy dina');

  await type(annDm, ann, `/revoke chat telegram:${team.id}`);
  await type(annDm, ann, `/revoke user telegram:${bob.id}`);
  const revokedAt = s.fake.calls.length;
  openGate();
  await s.bot.idle();
  skew += 11 * 60_000;
  await s.bot.approvals.sweep();
  await s.settle();
  return {
    /** Telegram calls into the chat (sends, edits) since the revocation. */
    sinceRevoked: (chat: FakeChat) => toChat(chat, revokedAt).map((c) => c.method),
    texts: (chat: FakeChat) => s.fake.messages(chat.id).map((m) => m.plainText),
  };
}
