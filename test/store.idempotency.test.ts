import { describe, expect, it } from 'vitest';
import { openStore } from '../src/core/store/index.js';
import { manualClock } from './support/manualClock.js';

describe('Idempotency-Key claims', () => {
  it('are freed at start when the process that held them died mid-request; answered ones stay a day', async () => {
    const clock = manualClock();
    const store = openStore(':memory:', clock);
    expect(store.idempotency.reserve('api:ci', 'deploy-1', 'h1')).toBe(true);
    expect(store.idempotency.reserve('api:ci', 'deploy-2', 'h2')).toBe(true);
    store.idempotency.answered('api:ci', 'deploy-2', '{"record":{}}');
    // A copy while the first runs is refused.
    expect(store.idempotency.reserve('api:ci', 'deploy-1', 'h1')).toBe(false);
    store.idempotency.releaseUnanswered();
    expect(store.idempotency.find('api:ci', 'deploy-1')).toBeUndefined();
    expect(store.idempotency.reserve('api:ci', 'deploy-1', 'h1')).toBe(true);
    expect(store.idempotency.find('api:ci', 'deploy-2')?.response).toBe('{"record":{}}');
    await clock.advance(24 * 60 * 60 * 1000);
    expect(store.idempotency.find('api:ci', 'deploy-2')).toBeUndefined();
  });
});
