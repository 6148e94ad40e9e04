import path from 'node:path';
import { z } from 'zod';

/**
 * One environment variable: its schema, an example of a good value, and what it is for (.env.example).
 * `secret` values are never echoed back in an error message.
 */
export type Variable = { schema: z.ZodType; example: string; help: string; secret?: boolean };
export type Variables = Record<string, Variable>;

/** The parsed values of a table of variables. */
export type ValuesOf<V extends Variables> = { [K in keyof V]: z.output<V[K]['schema']> };

/** The environment as given, before parsing. */
export type Env = Record<string, string | undefined>;

/** A comma-separated list, blanks dropped. */
export const commaList = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  );

/** An API base URL, kept without a trailing slash so paths can be appended. */
export const apiBase = (fallback: string) =>
  z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .default(fallback)
    .transform((u) => u.replace(/\/+$/, ''));

export { duration } from '../core/runtime/duration.js';

/** A file path with a leading ~/ meaning the home folder, made absolute. */
export const homePath = (file: string, env: Env): string =>
  path.resolve(file.replace(/^~(?=\/)/, env.HOME ?? '~'));
