import { describe, expect, it } from 'vitest';
import { createResponseUrls, responseUrlsKept, responseUrlTtlMs } from '../src/bridges/slack/responseUrls.js';
import { manualClock } from './support/manualClock.js';

describe('the Slack response_url map', () => {
  const hook = (n: number) => `https://hooks.slack.com/commands/T0/${n}/x`;

  it('stays bounded under slash commands from ever more channels and keeps the newest', async () => {
    const clock = manualClock();
    const urls = createResponseUrls({ clock });
    for (let i = 0; i < 5 * responseUrlsKept; i++) {
      urls.remember(`C${i}`, hook(i));
      if (i % 100 === 0) await clock.advance(1_000);
    }
    expect(urls.size).toBe(responseUrlsKept);
    const newest = 5 * responseUrlsKept - 1;
    expect(urls.take(`C${newest}`)).toBe(hook(newest));
    expect(urls.take(`C${newest}`)).toBeUndefined();
    expect(urls.take('C0')).toBeUndefined();
  });

  it('forgets a response_url once Slack would no longer take it, and keeps a fresher one', async () => {
    const clock = manualClock();
    const urls = createResponseUrls({ clock });
    urls.remember('COLD', hook(1));
    urls.remember('CNEW', hook(2));
    await clock.advance(responseUrlTtlMs - 60_000);
    urls.remember('CNEW', hook(3));
    await clock.advance(60_000);
    expect(urls.take('COLD')).toBeUndefined();
    expect(urls.size).toBe(1);
    expect(urls.take('CNEW')).toBe(hook(3));
  });
});
