import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from './index.js';

let fake: FakeSlack;
let web: InstanceType<typeof webApi.WebClient>;
beforeEach(async () => {
  fake = await startFakeSlack();
  web = new webApi.WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
});
afterEach(() => fake.close());

const slackError = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (err: { data?: { error?: string } }) => err.data?.error,
  );

it('streams a message in a thread, and refuses a channel stream that names nobody', async () => {
  expect(
    await slackError(web.chat.startStream({ channel: 'COPS', thread_ts: '1.000001', markdown_text: 'x' })),
  ).toBe('missing_recipient_user_id');
  const started = await web.chat.startStream({
    channel: 'COPS',
    thread_ts: '1.000001',
    markdown_text: 'Hello &amp; ',
    recipient_user_id: 'UANN',
    recipient_team_id: 'T0FLEET',
  });
  await web.chat.appendStream({ channel: 'COPS', ts: started.ts!, markdown_text: 'welcome' });
  await web.chat.stopStream({ channel: 'COPS', ts: started.ts! });
  expect(
    await slackError(web.chat.appendStream({ channel: 'COPS', ts: started.ts!, markdown_text: 'late' })),
  ).toBe('message_not_in_streaming_state');
  expect(fake.messages('COPS').map((m) => [m.threadTs, m.shown])).toEqual([['1.000001', 'Hello & welcome']]);
  fake.assertNoViolations();
});

it('records a streaming call the SDK would not type: too much text, unknown arguments', async () => {
  await web.chat.startStream({ channel: 'DANN', thread_ts: '1.000001', markdown_text: 'x'.repeat(12_001) });
  await slackError(
    web.apiCall('chat.appendStream', { channel: 'DANN', ts: '1.000002', text: 'wrong argument' }),
  );
  expect(fake.violations.map((v) => `${v.method}: ${v.problem}`)).toEqual([
    expect.stringMatching(/^chat\.startStream: markdown_text: Too big/),
    'chat.appendStream: text is not an argument of chat.appendStream',
  ]);
});

it('takes a file through the external upload flow, with its bytes, into a thread', async () => {
  await web.filesUploadV2({
    channel_id: 'COPS',
    thread_ts: '1.000001',
    content: 'the whole answer',
    filename: 'answer.md',
    title: 'answer.md',
  });
  expect(fake.files).toEqual([
    {
      id: 'F000000001',
      filename: 'answer.md',
      length: 16,
      content: 'the whole answer',
      title: 'answer.md',
      channel: 'COPS',
      threadTs: '1.000001',
    },
  ]);
  fake.assertNoViolations();
});
