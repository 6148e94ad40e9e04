import { afterAll, beforeAll, expect } from 'vitest';

/** Collects unhandled rejections during a describe block and fails it if there was any. */
export function failOnUnhandledRejections(): void {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown): void => void seen.push(reason);
  beforeAll(() => void process.on('unhandledRejection', onRejection));
  afterAll(async () => {
    // A rejection is reported on a later turn of the event loop than the one that caused it.
    await new Promise((r) => setTimeout(r, 50));
    process.off('unhandledRejection', onRejection);
    expect(seen.map(String)).toEqual([]);
  });
}
