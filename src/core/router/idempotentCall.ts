import { createHash } from 'node:crypto';
import { z } from 'zod';
import { message } from '../chat/outbound.js';
import type { ApiCall } from '../api/call.js';
import type { Store } from '../store/index.js';
import { next, stop, type Outcome, type Stage } from './stages.js';

/** RFC 9110 token-ish: what a program may name a request by; long enough for a UUID or a hash. */
const keyPattern = /^[\x21-\x7e]{1,128}$/;

/** What a repeated request answers: the first answer's record and how it was meant. */
const remembered = z.object({
  record: z.record(z.string(), z.unknown()),
  pending: z.boolean().optional(),
  accepted: z.boolean().optional(),
});

/** Key order does not make two requests different. */
const canonical = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(canonical)
    : value && typeof value === 'object'
      ? Object.fromEntries(
          Object.entries(value)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([k, v]) => [k, canonical(v)]),
        )
      : value;

const requestHash = (call: ApiCall): string =>
  createHash('sha256')
    .update(JSON.stringify([call.command, canonical(call.args)]))
    .digest('hex');

/**
 * An `Idempotency-Key` already used by this principal within 24 hours: the same request is answered
 * with the first answer (nothing runs twice), a different one is refused. A fresh key, or none, lets
 * the call run; `remember` then keeps its answer.
 */
export function recall(
  store: Store,
  principal: string,
  call: ApiCall,
  shown: string,
): Stage<{ remember(outcome: Outcome): void }> {
  const key = call.idempotencyKey;
  if (key === undefined) return next({ remember: () => undefined });
  if (!keyPattern.test(key))
    return stop({
      audit: { action: 'api', outcome: 'rejected: bad idempotency key', detail: shown },
      problem: 'invalid',
      toSender: message('An Idempotency-Key is 1 to 128 visible ASCII characters, e.g. a UUID.'),
    });
  const hash = requestHash(call);
  const earlier = store.idempotency.find(principal, key);
  if (earlier && earlier.requestHash !== hash)
    return stop({
      audit: { action: 'api', outcome: 'refused: idempotency key reused', detail: shown },
      problem: 'refused',
      toSender: message(
        'This Idempotency-Key was used for a different request in the last 24 hours. Use a new key for a new request.',
      ),
    });
  if (earlier?.response === null || (!earlier && !store.idempotency.reserve(principal, key, hash)))
    return stop({
      audit: { action: 'api', outcome: 'refused: idempotency key in use', detail: shown },
      problem: 'conflict',
      toSender: message(
        'The first request with this Idempotency-Key is still running. Ask again in a moment for its answer.',
      ),
    });
  if (earlier) {
    const first = remembered.parse(JSON.parse(earlier.response));
    return stop({
      audit: { action: 'api', outcome: 'replayed: idempotency key', detail: shown },
      result: first,
    });
  }
  return next({
    remember(outcome) {
      if (!outcome.result || outcome.problem) return store.idempotency.release(principal, key);
      const { record, pending, accepted } = outcome.result;
      store.idempotency.answered(principal, key, JSON.stringify({ record, pending, accepted }));
    },
  });
}
