import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FakeMessage, FakeUser } from './fakes/slack/index.js';
import { useCleanups } from './support/cleanups.js';
import { tempDir } from './support/env.js';
import { ann, bob, ops, startSlackBot } from './support/slackSession.js';

type Session = Awaited<ReturnType<typeof startSlackBot>>;

/** Socket Mode may be reconnecting (its timings are short for tests): pushes wait for it. */
const connected = (s: Session) => s.fake.waitFor(() => s.fake.socket.open);

/** The bot's newest message in the channel whose shown text matches, once it is there. */
async function shown(s: Session, pattern: RegExp, where: (m: FakeMessage) => boolean = () => true) {
  const find = () => s.fake.messages(ops).findLast((m) => where(m) && pattern.test(m.shown));
  await s.fake.waitFor(() => find() !== undefined, 20_000);
  return find()!;
}

const buttonOn = (m: FakeMessage, label: RegExp) => {
  const found = m.buttons.find((b) => label.test(b.text.text));
  if (!found)
    throw new Error(`no button ${String(label)} on ${m.ts}: ${m.buttons.map((b) => b.text.text).join(', ')}`);
  return found.action_id;
};

/** A real block_actions press on a message; what the presser alone is told. */
async function press(s: Session, user: FakeUser, m: FakeMessage, label: RegExp) {
  const before = s.fake.ephemerals(ops).length;
  await connected(s);
  const envelope = s.fake.press({ user, channel: ops, messageTs: m.ts, actionId: buttonOn(m, label) });
  await s.fake.waitFor(() => envelope.ackedAt !== undefined);
  await s.fake.waitFor(() => s.fake.ephemerals(ops).length > before);
  const told = s.fake.ephemerals(ops).slice(before);
  expect(told.map((e) => e.user)).toEqual([user.id]);
  return told.at(-1)!.shown;
}

/** Waits until this many turns have ended (an answer's last edit comes before its turn ends). */
const turnsEnded = (s: Session, n: number) =>
  s.fake.waitFor(() => {
    const row = s.bot.store.db
      .prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM turns WHERE status != 'running'`)
      .get()!;
    return row.n >= n;
  }, 20_000);

/** What fleetbot received from the agent, turn by turn, as the conversation's history keeps it. */
const agentSaid = (s: Session): string[] => {
  const row = s.bot.store.db.prepare<[], { history: string }>('SELECT history FROM conversations').get()!;
  return (JSON.parse(row.history) as { role: string; content: string }[])
    .filter((m) => m.role === 'assistant')
    .map((m) => m.content);
};

describe('/ask through the Slack bridge', () => {
  const defer = useCleanups();

  it('answers in a channel, asks before writing, streams replies in the answer’s thread, and stops', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const s = await startSlackBot(tmp.dir, { env: { FLEETBOT_CHATS: `slack:${ops}` } });
    defer(() => s.stop());
    await s.fleet(ann, ops, 'deploy swe alice');
    expect(s.fake.lastShown(ops)).toMatch(/^✅ Done: Deploy alice/);
    const dir = s.bot.store.agents.live('alice')!.resources.dir as string;

    // A slash command has no message to thread under: the answer is a message edited in place.
    await connected(s);
    s.fake.slashCommand({ user: ann, channel: ops, text: 'ask alice write notes.txt hello from slack' });
    const card = await shown(s, /^alice asks permission/);
    expect(card.shown).toContain('Write notes.txt');
    expect(card.buttons.map((b) => b.text.text)).toEqual([
      'Allow once',
      'Allow for this conversation',
      'Reject',
    ]);
    // Bob may read the channel, not answer for Ann.
    expect(await press(s, bob, card, /^Allow once$/)).toBe(
      'Only slack:UANN, who asked, or an operator can answer this.',
    );
    expect(existsSync(path.join(dir, 'notes.txt'))).toBe(false);
    expect(await press(s, ann, card, /^Allow once$/)).toBe('Allowed once');
    const answer = await shown(s, /^Wrote 17 bytes to notes\.txt\./);
    expect(answer.threadTs).toBeUndefined();
    expect(answer.stream).toBeUndefined();
    expect(readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('hello from slack\n');
    expect(s.fake.messages(ops).find((m) => m.ts === card.ts)!.shown).toMatch(
      /^alice asked: Write notes\.txt\nAllowed once by slack:UANN at/,
    );
    expect(s.fake.messages(ops).find((m) => m.ts === card.ts)!.buttons).toEqual([]);

    // A reply in the answer's thread is the next turn of the same conversation, streamed in the thread.
    await connected(s);
    s.fake.say({ user: ann, channel: ops, text: 'list', threadTs: answer.ts });
    await turnsEnded(s, 2);
    const listed = await shown(s, /^\. holds:/, (m) => m.threadTs === answer.ts);
    expect(listed.shown.trimEnd()).toBe('. holds:\n- agent.log\n- home/\n- notes.txt\n- secrets.env');
    expect(listed.stream).toEqual({ streaming: false, recipient: ann.id });
    const methods = s.fake.calls.filter((c) => c.args.ts === listed.ts).map((c) => c.method);
    expect(methods).toContain('chat.stopStream');
    expect(methods.at(-1)).toBe('chat.update');
    expect(agentSaid(s).at(-1)).toBe(`${listed.shown.trimEnd()}\n`);

    // A 20,000-character answer streams, then ends whole in two messages: all the agent sent.
    // Just under the reference agent's 20,000-character cap on what it reads out.
    const long = Array.from({ length: 837 }, (_, i) => `line ${i} of a long file`).join('\n');
    expect(long.length).toBeGreaterThan(19_900);
    writeFileSync(path.join(dir, 'long.txt'), long);
    await connected(s);
    s.fake.say({ user: ann, channel: ops, text: 'read long.txt', threadTs: answer.ts });
    await turnsEnded(s, 3);
    const read = await shown(s, /^long\.txt:/, (m) => m.threadTs === answer.ts);
    expect(read.stream?.streaming).toBe(false);
    // Slack shows the fenced file as a code block: the fence marks are drawn, not written out.
    const parts = s.fake.messages(ops).filter((m) => m.threadTs === answer.ts && m.ts >= read.ts);
    expect(parts).toHaveLength(2);
    expect(
      parts
        .map((m) => m.shown)
        .join('\n')
        .trimEnd(),
    ).toBe(agentSaid(s).at(-1)!.replace(/^```$/gm, '').trimEnd());

    // A command that runs puts Stop on the answer in the thread, beside the permission card.
    await connected(s);
    s.fake.say({ user: ann, channel: ops, text: 'run sleep 30', threadTs: answer.ts });
    const asked = await shown(s, /^alice asks permission/, (m) => m.threadTs === answer.ts);
    const running = await shown(s, /^⚙️ 1 step/, (m) => m.threadTs === answer.ts);
    await s.fake.waitFor(() => running.buttons.some((b) => b.text.text === '⏹ Stop'));
    expect(await press(s, ann, asked, /^Allow once$/)).toBe('Allowed once');
    expect(await press(s, bob, running, /Stop/)).toBe(
      'Only slack:UANN, who asked, or an operator can stop alice.',
    );
    expect(await press(s, ann, running, /Stop/)).toBe('Stopping alice…');
    await turnsEnded(s, 4);
    expect(running.shown).toMatch(/⏹ Stopped by slack:UANN\.$/);
    expect(running.buttons).toEqual([]);

    const turns = s.bot.store.db
      .prepare<[], { conversation_id: number; status: string }>('SELECT conversation_id, status FROM turns')
      .all();
    expect(turns.map((t) => t.status)).toEqual(['answered', 'answered', 'answered', 'cancelled']);
    expect(new Set(turns.map((t) => t.conversation_id)).size).toBe(1);
    expect(s.fake.calls.filter((c) => c.status === 429)).toEqual([]);
    s.fake.assertNoViolations();
  }, 60_000);
});
