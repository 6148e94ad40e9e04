import { describe, expect, it } from 'vitest';
import type { FakeChat } from './fakes/telegram/index.js';
import { ann, annDm, bob, telegramSessions, type TelegramSession } from './support/telegramSession.js';
import { runningAgent } from './support/agents.js';

const team: FakeChat = { id: -500, type: 'supergroup', title: 'Ops' };
const teamRef = { platform: 'telegram', chatId: String(team.id) } as const;
const day = 86_400_000;

describe('the rough edges a person hits in chat', () => {
  const sessions = telegramSessions();
  const session = (): Promise<TelegramSession> =>
    sessions({ env: { FLEETBOT_CHATS: `telegram:${team.id}` } });

  it('shows everyone the commands a member may run, and each admin the admin list in their private chat', async () => {
    const s = await session();
    const names = (scope?: unknown) => s.fake.commands(scope).map((c) => c.command);
    const member = ['list', 'status', 'logs', 'jobs', 'roles', 'whoami', 'alerts', 'help'];
    const adminOnly = ['allow', 'revoke', 'users', 'keys', 'audit', 'image'];
    expect(names()).toEqual(expect.arrayContaining(member));
    for (const command of [...adminOnly, 'deploy', 'destroy']) expect(names()).not.toContain(command);
    expect(names({ type: 'all_private_chats' })).toEqual(names());
    expect(names({ type: 'chat', chat_id: ann.id })).toEqual(
      expect.arrayContaining([...member, ...adminOnly, 'deploy', 'destroy']),
    );
    // Bob is no admin: his private chat has no menu of its own, so Telegram shows him the members' one.
    expect(names({ type: 'chat', chat_id: bob.id })).toEqual([]);
    await s.say(annDm, ann, `/allow user telegram:${bob.id} admin`);
    await s.fake.waitFor(() => names({ type: 'chat', chat_id: bob.id }).includes('audit'));
    await s.say(annDm, ann, `/revoke user telegram:${bob.id}`);
    await s.fake.waitFor(() => names({ type: 'chat', chat_id: bob.id }).length === 0);
  });

  it('answers a typo with the command this person may run, their words kept', async () => {
    const s = await session();
    await s.say(annDm, ann, '/destory alice');
    expect(s.fake.lastText(annDm.id)).toBe('Unknown command /destory. Did you mean /destroy alice?');
    await s.say(annDm, ann, '/alow chat telegram:-5');
    expect(s.fake.lastText(annDm.id)).toBe('Unknown command /alow. Did you mean /allow chat telegram:-5?');
    // Bob is a viewer in the team: /allow is not his to be pointed at.
    await s.say(team, bob, '/alow chat telegram:-5');
    expect(s.fake.lastText(team.id)).toBe('I don’t know /alow. Send /help for the list of commands.');
    expect(s.bot.store.audit.recent(3).map((a) => a.outcome)).toEqual([
      'rejected: unknown command',
      'rejected: unknown command',
      'rejected: unknown command',
    ]);
  });

  it('takes a bare /alerts on in a group as following everything, and asks what to follow in a private chat', async () => {
    const s = await session();
    await s.say(team, ann, '/alerts on');
    expect(s.fake.lastText(team.id)).toMatch(/^This chat now gets alerts about all agents/);
    expect(s.bot.store.subscriptions.forChat(teamRef)).toEqual([expect.objectContaining({ scope: 'all' })]);
    await s.say(team, bob, '/alerts off');
    expect(s.fake.lastText(team.id)).toMatch(/needs the admin level; you are viewer/);
    await s.say(annDm, ann, '/alerts on');
    expect(s.fake.lastText(annDm.id)).toBe(
      'Say what to follow: /alerts on mine for your own agents, or all, role <role>, agent <name>.',
    );
    expect(s.bot.store.subscriptions.forChat({ platform: 'telegram', chatId: String(annDm.id) })).toEqual([]);
  });

  it('lists agents by role, owner, provider, status and creation date', async () => {
    const s = await session();
    const { store } = s.bot;
    const made = (name: string, role: string, owner: string, ageDays: number) => {
      const agent = runningAgent(store, name, owner);
      store.db
        .prepare('UPDATE agents SET role = ?, created_at = ? WHERE id = ?')
        .run(role, Date.now() - ageDays * day, agent.id);
      return agent;
    };
    made('alpha', 'swe', `telegram:${ann.id}`, 30);
    made('bravo', 'review', `telegram:${bob.id}`, 3);
    const gone = made('charlie', 'swe', `telegram:${bob.id}`, 1);
    store.agents.update(gone.id, { status: 'destroyed' });
    const names = async (line: string): Promise<string> => {
      await s.say(annDm, ann, line);
      return s.fake.lastText(annDm.id)!;
    };
    expect(await names('/list --role swe')).toMatch(/^Agents \(1\)\nalpha swe · local · running$/);
    expect(await names('/list --role swe --all')).toMatch(
      /^Agents \(2\)\nalpha .*\ncharlie swe · local · destroyed$/,
    );
    expect(await names('/list --owner me')).toMatch(/^Agents \(1\)\nalpha /);
    expect(await names(`/list --owner telegram:${bob.id}`)).toMatch(/^Agents \(1\)\nbravo /);
    expect(await names('/list --status destroyed')).toMatch(/^Agents \(1\)\ncharlie /);
    expect(await names('/list --since 7d')).toMatch(/^Agents \(1\)\nbravo /);
    expect(await names('/list --until 1w')).toMatch(
      /^--until takes a date \(2026-12-01\) or how long ago \(7d, 12h\), not "1w"\.\nUsage: \/list /,
    );
    expect(await names('/list --until 1d12h')).toMatch(/^Agents \(2\)\nalpha .*\nbravo /);
    const thirtyDaysAgo = new Date(Date.now() - 30 * day).toISOString().slice(0, 10);
    expect(await names(`/list --since ${thirtyDaysAgo} --until ${thirtyDaysAgo}`)).toMatch(
      /^Agents \(1\)\nalpha /,
    );
    expect(await names('/list --provider hetzner')).toBe('No agents match.\nSee them all with /list.');
    expect(await names('/list --status sleeping')).toMatch(/^--status is one of deploying, running, /);
  });

  it('says what was wrong with an argument in words, with the usage', async () => {
    const s = await session();
    runningAgent(s.bot.store, 'alpha', `telegram:${ann.id}`);
    await s.say(annDm, ann, '/logs alpha -n lots');
    expect(s.fake.lastText(annDm.id)).toBe(
      '-n must be a number of lines, e.g. -n 50\nUsage: /logs <name> [-n N]',
    );
    await s.say(annDm, ann, '/keys create ci-bot agents:read --ttl 1h30');
    expect(s.fake.lastText(annDm.id)).toMatch(/^--ttl: a duration such as 90s, 10m, 1h30m, 2h or 7d/);
  });
});
