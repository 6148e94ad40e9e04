import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { packageRoot } from './packageRoot.js';

/**
 * fleetbot's version, from the package.json it was installed with, so a checkout, an installed package
 * and an image all report the version they were built as.
 */
export const fleetbotVersion: string = z
  .object({ version: z.string().min(1) })
  .parse(JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8'))).version;
