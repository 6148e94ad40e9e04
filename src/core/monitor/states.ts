import type { HealthRecord } from '../store/health.js';

export type Thresholds = {
  /** Consecutive failures that make an agent down. */
  downAfter: number;
  /** Consecutive successes that make a down agent healthy again. */
  upAfter: number;
  /** More downs than this within flapWindowMs mark the agent flapping. */
  flapLimit: number;
  flapWindowMs: number;
};

export const defaultThresholds: Thresholds = {
  downAfter: 3,
  upAfter: 2,
  flapLimit: 3,
  flapWindowMs: 30 * 60_000,
};

export type Check = { ok: boolean; at: number; latencyMs?: number; error?: string };

/** What a check changed, for the incident logic: a new outage, a recovery, or nothing worth a message. */
export type Transition = 'went-down' | 'recovered' | 'still-down' | 'none';

/**
 * The next health record after one check, with hysteresis: one failure makes an agent suspect, only
 * `downAfter` in a row make it down; a down agent must pass `upAfter` checks in a row to be healthy.
 */
export function applyCheck(
  prev: HealthRecord,
  check: Check,
  t: Thresholds,
): { next: HealthRecord; transition: Transition } {
  const base = {
    ...prev,
    lastCheckAt: check.at,
    latencyMs: check.latencyMs ?? null,
    lastError: check.ok ? prev.lastError : (check.error ?? 'failed'),
    downs: prev.downs.filter((d) => check.at - d < t.flapWindowMs),
  };
  if (check.ok) {
    const successes = prev.successes + 1;
    if (prev.state === 'down' || prev.state === 'recovering') {
      if (successes >= t.upAfter)
        return { next: { ...base, state: 'healthy', failures: 0, successes }, transition: 'recovered' };
      return { next: { ...base, state: 'recovering', failures: 0, successes }, transition: 'still-down' };
    }
    return { next: { ...base, state: 'healthy', failures: 0, successes }, transition: 'none' };
  }
  const failures = prev.failures + 1;
  if (prev.state === 'down' || prev.state === 'recovering') {
    return { next: { ...base, state: 'down', failures, successes: 0 }, transition: 'still-down' };
  }
  if (failures >= t.downAfter) {
    return {
      next: { ...base, state: 'down', failures, successes: 0, downs: [...base.downs, check.at] },
      transition: 'went-down',
    };
  }
  return { next: { ...base, state: 'suspect', failures, successes: 0 }, transition: 'none' };
}

/** Flapping: it went down more than flapLimit times within the window. */
export const isFlapping = (record: HealthRecord, t: Thresholds): boolean => record.downs.length > t.flapLimit;
