import { afterEach, describe, expect, it } from 'vitest';
import { buttonPress, userMessage } from './fakes/slack/index.js';
import { tempDir } from './support/env.js';
import { ann, annDm, startSlackBot } from './support/slackSession.js';

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
});
