import { fileURLToPath } from 'node:url';

/**
 * The folder fleetbot is installed in (a checkout, an installed package, an image), whatever folder it
 * was started from: src/ and dist/ both sit in it, and this file at the same depth in each.
 */
export const packageRoot: string = fileURLToPath(new URL('../../../', import.meta.url));
