import { z } from 'zod';

const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** 90d, 12h, 10s: the bound in the largest unit that states it exactly, as a person would write it. */
const shown = (ms: number): string => {
  const [unit, size] = Object.entries(unitMs).findLast(([, size]) => ms % size === 0) ?? ['ms', 1];
  return `${ms / size}${unit}`;
};

const unitWords: Record<string, keyof typeof unitMs> = { ms: 'ms', s: 's', m: 'm', min: 'm', h: 'h', d: 'd' };
const part = /(\d{1,6})\s*(ms|min|s|m|h|d)\s*/y;
const largestFirst = ['d', 'h', 'm', 's', 'ms'] as const;

/**
 * 1h30m, 90s, 2 d, 1 h 3 m, 12 min: parts from the largest unit down, each at most once, so what
 * the bot prints (`duration`, `preciseDuration`) reads back. A plain number is seconds.
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (/^\d{1,6}$/.test(s)) return Number(s) * unitMs.s;
  let total = 0;
  let lastRank = -1;
  part.lastIndex = 0;
  while (part.lastIndex < s.length) {
    const m = part.exec(s);
    if (!m) return undefined;
    const unit = unitWords[m[2]!]!;
    const rank = largestFirst.indexOf(unit);
    if (rank <= lastRank) return undefined;
    lastRank = rank;
    total += Number(m[1]) * unitMs[unit];
  }
  return lastRank === -1 ? undefined : total;
}

/**
 * A duration such as 500ms, 90s, 10m, 1h30m or 90d (plain numbers are seconds), in milliseconds,
 * within bounds. Shared by the environment's variables, the role files and command flags
 * (`/keys --ttl`, `/list --since`).
 */
export const durationText = (bounds: { min: number; max: number }) =>
  z
    .string()
    .transform((s, ctx) => {
      const ms = parseDuration(s);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: 'a duration such as 90s, 10m, 1h30m, 2h or 7d' });
        return z.NEVER;
      }
      return ms;
    })
    .pipe(
      z
        .number()
        .min(bounds.min, `at least ${shown(bounds.min)}`)
        .max(bounds.max, `at most ${shown(bounds.max)}`),
    );

/** A duration with a fallback for when it is not given. */
export const duration = (fallback: string, bounds: { min: number; max: number }) =>
  z.string().default(fallback).pipe(durationText(bounds));
