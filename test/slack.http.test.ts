import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { maxSlackInFlight } from '../src/bridges/slack/httpReceiver.js';
import { buttonPress, userMessage } from './fakes/slack/index.js';
import { tempDir } from './support/env.js';
import { answerBeforeBody, sendHead } from './support/httpProbe.js';
import { ann, annDm, forgedSignature, startSlackBot } from './support/slackSession.js';

type Session = Awaited<ReturnType<typeof startSlackBot>>;

describe('slack bridge in HTTP mode', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const session = async (): Promise<Session> => {
    const tmp = tempDir();
    const s = await startSlackBot(tmp.dir, { mode: 'http' });
    cleanups.push(tmp.cleanup, () => s.stop());
    return s;
  };

  it('answers signed requests at /slack/events and refuses bad or stale signatures with 401', async () => {
    const s = await session();
    for (const signature of ['wrong', 'stale', 'missing'] as const) {
      const res = await s.fake.http.slashCommand(
        s.eventsUrl,
        { user: ann, channel: annDm, text: 'whoami' },
        signature,
      );
      expect(res.status, signature).toBe(401);
    }
    await s.settle();
    expect(s.fake.messages(annDm)).toEqual([]);

    const ok = await s.fake.http.slashCommand(s.eventsUrl, {
      user: ann,
      channel: annDm,
      text: 'deploy swe alice',
    });
    expect(ok.status).toBe(200);
    expect(ok.ms).toBeLessThan(3000);
    await s.settle();
    const card = s.fake.messages(annDm)[0]!;
    expect(card.shown).toMatch(/^✅ Done: Deploy alice/);

    await s.fake.http.slashCommand(s.eventsUrl, { user: ann, channel: annDm, text: 'destroy alice' });
    await s.settle();
    const confirm = s.fake.messages(annDm).at(-1)!;
    const destroy = confirm.buttons.find((b) => b.text.text === 'Approve destroy')!;
    const press = await s.fake.http.post(
      s.eventsUrl,
      buttonPress({
        user: ann,
        channel: annDm,
        messageTs: confirm.ts,
        actionId: destroy.action_id,
        responseUrl: `${s.fake.apiUrl}unused`,
      }),
    );
    expect(press.status).toBe(200);
    await s.settle();
    expect(s.fake.lastShown(annDm)).toMatch(/^✅ Done: Destroy alice/);
    s.fake.assertNoViolations();
  });

  it('handles an event Slack retries (X-Slack-Retry-Num) once, and answers url_verification', async () => {
    const s = await session();
    const delivery = userMessage({ user: ann, channel: annDm, text: 'whoami' });
    expect((await s.fake.http.post(s.eventsUrl, delivery)).status).toBe(200);
    expect((await s.fake.http.post(s.eventsUrl, delivery, { retryNum: 1 })).status).toBe(200);
    await s.settle();
    expect(s.fake.messages(annDm)).toHaveLength(1);

    const challenge = await s.fake.http.post(s.eventsUrl, {
      kind: 'events_api',
      payload: { type: 'url_verification', challenge: 'c-123', token: 'verification-token' },
    });
    expect(JSON.parse(challenge.body)).toEqual({ challenge: 'c-123' });
  });

  it('refuses unsigned, stale, oversized and flooding requests before reading a byte of their bodies', async () => {
    const s = await session();
    const port = Number(new URL(s.eventsUrl).port);
    const head = 'POST /slack/events HTTP/1.1';
    const mib = 1024 * 1024;
    expect(await answerBeforeBody(port, head, mib)).toBe('HTTP/1.1 401 Unauthorized');
    expect(await answerBeforeBody(port, head, mib, forgedSignature(6 * 60))).toBe(
      'HTTP/1.1 401 Unauthorized',
    );
    expect(await answerBeforeBody(port, head, mib, forgedSignature(-6 * 60))).toBe(
      'HTTP/1.1 401 Unauthorized',
    );
    // Fresh headers pass until the body is in, but no body is read past Slack's own size.
    expect(await answerBeforeBody(port, head, mib, forgedSignature())).toBe('HTTP/1.1 413 Payload Too Large');

    // Requests whose bodies never come hold every slot; the next one is turned away unread.
    const held = Array.from({ length: maxSlackInFlight }, () =>
      sendHead(port, head, 1000, forgedSignature()),
    );
    await sleep(300);
    expect(await answerBeforeBody(port, head, 1000, forgedSignature())).toBe(
      'HTTP/1.1 503 Service Unavailable',
    );
    held.forEach((socket) => socket.destroy());
    await sleep(100);

    // A signed delivery is taken as before once the flood is gone.
    const ok = await s.fake.http.slashCommand(s.eventsUrl, { user: ann, channel: annDm, text: 'whoami' });
    expect(ok.status).toBe(200);
    await s.settle();
    expect(s.fake.lastShown(annDm)).toContain('slack:UANN');
  });
});
