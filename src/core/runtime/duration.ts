import { z } from 'zod';

/**
 * A duration such as 500ms, 90s, 10m or 1h (plain numbers are seconds), in milliseconds, within
 * bounds. Shared by the environment's variables and the role files.
 */
export const duration = (fallback: string, bounds: { min: number; max: number }) =>
  z
    .string()
    .default(fallback)
    .transform((s, ctx) => {
      const m = /^(\d{1,6})\s*(ms|s|m|h)?$/.exec(s.trim());
      if (!m) {
        ctx.addIssue({ code: 'custom', message: 'a duration such as 500ms, 90s, 10m or 1h' });
        return z.NEVER;
      }
      return (
        Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']
      );
    })
    .pipe(
      z
        .number()
        .min(bounds.min, `at least ${bounds.min / 1000}s`)
        .max(bounds.max, `at most ${bounds.max / 1000}s`),
    );
