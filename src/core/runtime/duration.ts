import { z } from 'zod';

const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** 90d, 12h, 10s: the bound in the largest unit that states it exactly, as a person would write it. */
const shown = (ms: number): string => {
  const [unit, size] = Object.entries(unitMs).findLast(([, size]) => ms % size === 0) ?? ['ms', 1];
  return `${ms / size}${unit}`;
};

/**
 * A duration such as 500ms, 90s, 10m, 1h or 90d (plain numbers are seconds), in milliseconds, within
 * bounds. Shared by the environment's variables, the role files and command flags (`/keys --ttl`).
 */
export const durationText = (bounds: { min: number; max: number }) =>
  z
    .string()
    .transform((s, ctx) => {
      const m = /^(\d{1,6})\s*(ms|s|m|h|d)?$/.exec(s.trim());
      if (!m) {
        ctx.addIssue({ code: 'custom', message: 'a duration such as 500ms, 90s, 10m, 1h or 90d' });
        return z.NEVER;
      }
      return Number(m[1]) * unitMs[(m[2] ?? 's') as keyof typeof unitMs];
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
