import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * fleetbot's version, from the package.json beside src/ or dist/ (this file sits at the same depth in
 * both), so a checkout, an installed package and an image all report the version they were built as.
 */
export const fleetbotVersion: string = z
  .object({ version: z.string().min(1) })
  .parse(JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'))).version;
