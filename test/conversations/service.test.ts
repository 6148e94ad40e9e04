import { afterEach, describe, expect, it } from 'vitest';
import { conversationsHarness, gate, type PermissionChoice } from './harness.js';

let h: ReturnType<typeof conversationsHarness>;
afterEach(() => h?.close());

const reply = (
  ref: { chat: { platform: 'telegram'; chatId: string }; messageId: string },
  text: string,
  userId = '1',
) => ({
  kind: 'message' as const,
  chat: ref.chat,
  user: { platform: 'telegram' as const, userId },
  direct: false,
  text,
  message: { chat: ref.chat, messageId: `m-${text}` },
  replyTo: ref,
  at: new Date(),
});

describe('conversations', () => {
  it('streams an answer, and a reply to it carries on the same conversation on the same session', async () => {
    h = conversationsHarness();
    h.script(async (prompt, events, _signal, session) => {
      events.text('Hello');
      events.text(`, you said ${prompt} (${session.id})`);
      return { stop: 'end_turn' };
    });
    h.conversations.ask(h.caller('1'), { agent: h.agent(), text: 'hi there', direct: false });
    await h.settle();
    expect(h.answers[0]).toMatchObject({ text: 'Hello, you said hi there (session-1)', ended: {} });

    const msg = reply(h.answers[0]!.refs[0]! as never, 'and again');
    expect(h.conversations.isFor(msg)).toBe(true);
    h.conversations.message(h.caller('1'), msg);
    await h.settle();
    expect(h.answers[1]).toMatchObject({
      text: 'Hello, you said and again (session-1)',
      opts: { replyTo: msg.message },
    });
    expect(h.opened).toHaveLength(1);
    const conversation = h.store.conversations.answeredBy(h.answers[1]!.refs[0]!)!;
    expect(conversation.history.map((e) => e.content)).toEqual([
      'hi there',
      'Hello, you said hi there (session-1)',
      'and again',
      'Hello, you said and again (session-1)',
    ]);
    // Chatter that replies to nothing of fleetbot's is not taken.
    expect(h.conversations.isFor({ ...msg, replyTo: { chat: msg.chat, messageId: 'someone-else' } })).toBe(
      false,
    );
  });

  it('closes an idle session and continues the conversation on a new one with the stored session id', async () => {
    h = conversationsHarness();
    h.conversations.ask(h.caller('1'), { agent: h.agent(), text: 'one', direct: true });
    await h.settle();
    await h.clock.advance(61_000);
    expect(h.closed).toEqual(['session-1']);
    h.conversations.message(h.caller('1'), reply(h.answers[0]!.refs[0]! as never, 'two'));
    await h.settle();
    expect(h.opened.map((o) => o.previous)).toEqual([undefined, 'session-1']);
    expect(h.answers[1]!.text).toBe('echo: two');
  });

  it('queues a prompt sent while a turn runs, says so, and runs it next', async () => {
    h = conversationsHarness();
    const first = gate();
    h.script(async (prompt, events) => {
      if (prompt === 'slow') await first.promise;
      events.text(`done ${prompt}`);
      return { stop: 'end_turn' };
    });
    h.conversations.ask(h.caller('1'), { agent: h.agent(), text: 'slow', direct: false });
    await h.settle();
    h.conversations.message(
      h.caller('1'),
      reply({ chat: { platform: 'telegram', chatId: 'c1' }, messageId: 'x' }, 'ignored'),
    );
    // A reply to a message that answered nothing is not queued anywhere.
    expect(h.answers).toHaveLength(1);
    const conversationId = h.store.conversations.latest(h.agent().id, {
      platform: 'telegram',
      chatId: 'c1',
    })!.id;
    h.store.conversations.rememberMessage(conversationId, {
      chat: { platform: 'telegram', chatId: 'c1' },
      messageId: 'typing',
    });
    h.conversations.message(
      h.caller('1'),
      reply({ chat: { platform: 'telegram', chatId: 'c1' }, messageId: 'typing' }, 'fast'),
    );
    await h.settle();
    expect(h.answers[1]!.status?.[0]).toMatch(/^⏳ Queued: alice is still answering/);
    expect(h.answers[1]!.ended).toBeUndefined();
    first.open();
    await h.settle();
    expect(h.answers.map((a) => a.text)).toEqual(['done slow', 'done fast']);
  });

  it('/stop cancels the running answer and the queued one, for the asker or an operator only', async () => {
    h = conversationsHarness({ level: 'viewer' });
    h.script(
      (_prompt, events, signal) =>
        new Promise((resolve) => {
          events.text('partial');
          signal.addEventListener('abort', () => resolve({ stop: 'cancelled' }));
        }),
    );
    h.conversations.ask(h.caller('1', 'viewer'), { agent: h.agent(), text: 'long', direct: false });
    await h.settle();
    expect(() => h.conversations.stop(h.caller('2', 'viewer'), h.agent())).toThrow(
      /Only the person who asked, or an operator/,
    );
    expect(h.conversations.stop(h.caller('1', 'viewer'), h.agent())).toBe(1);
    await h.settle();
    expect(h.answers[0]).toMatchObject({ text: 'partial', ended: { footer: '⏹ Stopped by telegram:1.' } });
    expect(h.store.conversations.openTurns()).toEqual([]);
    expect(h.conversations.stop(h.caller('1', 'viewer'), h.agent())).toBe(0);
  });

  it('puts Stop on an answer that runs 10 s, never on a quicker one, and takes it off when the turn ends', async () => {
    h = conversationsHarness();
    const slow = gate();
    h.script(async (prompt, events, signal) => {
      events.text(`on ${prompt}`);
      if (prompt === 'slow')
        await Promise.race([slow.promise, new Promise((r) => signal.addEventListener('abort', r))]);
      return { stop: signal.aborted ? 'cancelled' : 'end_turn' };
    });
    h.conversations.ask(h.caller('1'), { agent: h.agent(), text: 'quick', direct: false });
    await h.settle();
    await h.clock.advance(60_000);
    expect(h.answers[0]).toMatchObject({ text: 'on quick', ended: {}, buttonChanges: [] });

    h.conversations.ask(h.caller('1'), { agent: h.agent(), text: 'slow', direct: false });
    await h.clock.advance(9_999);
    expect(h.answers[1]!.buttonChanges).toEqual([]);
    await h.clock.advance(1);
    expect(h.answers[1]!.buttons).toEqual([[{ id: 'stop-1', label: '⏹ Stop', style: 'danger' }]]);
    const [stop] = h.stopButtons.issued;
    expect(stop).toMatchObject({ asker: 'telegram:1' });
    // The answer's card let an operator press it; the turn ends saying who.
    expect(h.conversations.stopTurn(h.caller('2', 'operator'), stop!.turnId)).toBe(true);
    await h.settle();
    expect(h.answers[1]).toMatchObject({ ended: { footer: '⏹ Stopped by telegram:2.' }, buttons: undefined });
    expect(h.stopButtons.closed).toEqual(['stop-1']);
    expect(h.conversations.stopTurn(h.caller('2', 'operator'), stop!.turnId)).toBe(false);
    const turns = h.store.db.prepare<[], { status: string }>('SELECT status FROM turns ORDER BY id').all();
    expect(turns.map((t) => t.status)).toEqual(['answered', 'cancelled']);
  });

  it('puts Stop on an answer at once when a tool step runs or the agent asks permission', async () => {
    h = conversationsHarness();
    const done = gate();
    h.script(async (_prompt, events) => {
      events.step({ id: 't1', title: 'Run npm test', status: 'in_progress' });
      await done.promise;
      return { stop: 'end_turn' };
    });
    h.conversations.ask(h.caller('1'), { agent: h.agent(), text: 'step', direct: false });
    await h.settle();
    expect(h.answers[0]!.buttons?.[0]?.map((b) => b.label)).toEqual(['⏹ Stop']);
    done.open();
    await h.settle();
    expect(h.answers[0]!.buttons).toBeUndefined();
    expect(h.stopButtons.closed).toEqual(['stop-1']);

    const asked = gate();
    h.script(async (_prompt, events) => {
      const choice = events.permission({ title: 'Write a.txt', offered: ['allow_once', 'reject'] });
      asked.open();
      events.text(`chose ${await choice}`);
      return { stop: 'end_turn' };
    });
    h.conversations.ask(h.caller('1'), { agent: h.agent(), text: 'ask', direct: false });
    await asked.promise;
    await h.settle();
    // Both wait at once: the permission's card and Stop on the answer.
    expect(h.posted).toHaveLength(1);
    expect(h.answers[1]!.buttons?.[0]?.map((b) => b.label)).toEqual(['⏹ Stop']);
    h.conversations.answerPermission(h.posted[0]!.requestId, 'allow_once');
    await h.settle();
    expect(h.answers[1]).toMatchObject({ text: 'chose allow_once', buttons: undefined });
  });

  it('turns a permission request into a card; the answer reaches the agent; no answer in time rejects', async () => {
    h = conversationsHarness();
    const choices: PermissionChoice[] = [];
    h.script(async (_prompt, events) => {
      choices.push(
        await events.permission({ title: 'Run npm test', offered: ['allow_once', 'allow_always', 'reject'] }),
      );
      events.text(`chose ${choices.at(-1)}`);
      return { stop: 'end_turn' };
    });
    h.conversations.ask(h.caller('1'), { agent: h.agent(), text: 'test it', direct: false });
    await h.settle();
    expect(h.posted).toMatchObject([{ asker: 'telegram:1', request: { title: 'Run npm test' } }]);
    expect(h.conversations.answerPermission(h.posted[0]!.requestId, 'allow_once')).toBe(true);
    expect(h.conversations.answerPermission(h.posted[0]!.requestId, 'reject')).toBe(false);
    await h.settle();
    expect(h.answers[0]!.text).toBe('chose allow_once');

    h.conversations.message(h.caller('1'), reply(h.answers[0]!.refs[0]! as never, 'again'));
    await h.settle();
    await h.clock.advance(600_000);
    expect(h.answers[1]!.text).toBe('chose reject');
    expect(h.permissions.sweeps).toBe(1);
    const audit = h.store.audit.recent(50).map((e) => `${e.action} ${e.outcome} ${e.detail}`);
    expect(audit).toContain('ask queued alice: 7 characters');
    expect(audit).toContain('permission allow_once alice: Run npm test');
    expect(audit.join('\n')).not.toContain('test it');
  });

  it('keeps a prompt’s words in the audit only when FLEETBOT_AUDIT_PROMPTS is on', async () => {
    h = conversationsHarness({ auditPrompts: true });
    h.conversations.ask(h.caller('1'), { agent: h.agent(), text: 'deploy the thing', direct: false });
    await h.settle();
    const audit = h.store.audit.recent(50).map((e) => `${e.action} ${e.outcome} ${e.detail}`);
    expect(audit).toContain('ask prompt alice deploy the thing');
  });

  it('refuses people below the role’s chat level, and agents that are not running, saying what to do', async () => {
    h = conversationsHarness();
    expect(() =>
      h.conversations.ask(h.caller('2', 'viewer'), { agent: h.agent(), text: 'hi', direct: false }),
    ).toThrow(
      'Talking to alice needs the operator level; you are viewer. An admin can change that with /users.',
    );
    h.store.agents.update(h.agent().id, { status: 'stopped' });
    expect(() => h.conversations.ask(h.caller('1'), { agent: h.agent(), text: 'hi', direct: false })).toThrow(
      'alice is stopped, so it cannot answer now. /status alice shows why.',
    );
    expect(h.answers).toEqual([]);
  });

  it('ends the answer with the reason when the agent cannot be started or fails mid-turn, and can start again', async () => {
    h = conversationsHarness();
    h.failOpen('spawn claude-agent-acp ENOENT');
    h.conversations.ask(h.caller('1'), { agent: h.agent(), text: 'hi', direct: false });
    await h.settle();
    expect(h.answers[0]!.ended?.failed).toMatch(
      /^Could not start a conversation with alice: spawn claude-agent-acp ENOENT\nTry again/,
    );
    h.failOpen(undefined);
    h.script(async (_p, events) => {
      events.text('half an answer');
      return {
        stop: 'failed',
        reason: 'the agent exited with code 1',
        stderr: 'line 1\nTypeError: boom\u202e',
      };
    });
    h.conversations.message(h.caller('1'), reply(h.answers[0]!.refs[0]! as never, 'again'));
    await h.settle();
    expect(h.answers[1]).toMatchObject({
      text: 'half an answer',
      ended: {
        failed: 'the agent exited with code 1\nLast lines it wrote to stderr:\nline 1\nTypeError: boom',
      },
    });
    h.script(async (_p, events) => {
      events.text('fine now');
      return { stop: 'end_turn' };
    });
    h.conversations.message(h.caller('1'), reply(h.answers[1]!.refs[0]! as never, 'third'));
    await h.settle();
    expect(h.answers[2]!.text).toBe('fine now');
  });

  it('marks turns a killed fleetbot left running as interrupted, with a note on their answer', async () => {
    h = conversationsHarness();
    h.conversations.ask(h.caller('1'), { agent: h.agent(), text: 'hi', direct: false });
    await h.settle();
    const conversationId = h.store.conversations.answeredBy(h.answers[0]!.refs[0]!)!.id;
    const turn = h.store.conversations.addTurn({ conversationId, requester: 'telegram:1', promptChars: 3 });
    h.store.conversations.startTurn(turn.id, '77');
    const told: string[] = [];
    const count = await h.conversations.recoverInterrupted(async (ref, text) => {
      told.push(`${ref.messageId}: ${text}`);
      return { chat: ref.chat, messageId: '78' };
    });
    expect(count).toBe(1);
    expect(told).toEqual([
      '77: ⚠️ This answer was interrupted: fleetbot restarted. Reply to carry on the conversation.',
    ]);
    expect(
      h.store.conversations.answeredBy({ chat: { platform: 'telegram', chatId: 'c1' }, messageId: '78' })?.id,
    ).toBe(conversationId);
    expect(h.store.conversations.openTurns()).toEqual([]);
  });

  it('at shutdown, a running answer ends as interrupted and the session closes', async () => {
    h = conversationsHarness();
    h.script(
      (_prompt, events, signal) =>
        new Promise((resolve) => {
          events.text('so far');
          signal.addEventListener('abort', () => resolve({ stop: 'cancelled' }));
        }),
    );
    h.conversations.ask(h.caller('1'), { agent: h.agent(), text: 'long', direct: false });
    await h.settle();
    await h.conversations.shutdown();
    expect(h.answers[0]).toMatchObject({
      text: 'so far',
      ended: { footer: '⚠️ Interrupted: fleetbot is restarting. Reply to carry on.' },
    });
    expect(h.closed).toEqual(['session-1']);
  });

  it('/chat sends plain messages in a private chat to the agent until it is turned off', async () => {
    h = conversationsHarness();
    const dm = { ...h.caller('1'), chat: { platform: 'telegram' as const, chatId: '1' } };
    const plain = {
      kind: 'message' as const,
      chat: dm.chat,
      user: dm.user,
      direct: true,
      text: 'hello',
      message: { chat: dm.chat, messageId: '5' },
      at: new Date(),
    };
    expect(h.conversations.isFor(plain)).toBe(false);
    h.conversations.chatWith(dm, h.agent());
    expect(h.conversations.isFor(plain)).toBe(true);
    h.conversations.message(dm, plain);
    await h.settle();
    expect(h.answers[0]).toMatchObject({
      text: 'echo: hello',
      opts: { direct: true, replyTo: plain.message },
    });
    h.conversations.chatWith(dm, undefined);
    expect(h.conversations.isFor(plain)).toBe(false);
  });
});
