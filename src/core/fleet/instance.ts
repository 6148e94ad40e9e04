import { randomBytes } from 'node:crypto';
import type { Store } from '../store/index.js';

/**
 * Which fleetbot made a cloud resource: written on every server label and DNS record comment, so two
 * fleetbots on one Hetzner project or Cloudflare zone each see (and delete) only their own. Lowercase
 * letters, digits and inner dashes, at most 32: a valid Hetzner label value and short in a comment.
 */
export const instanceIdPattern = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

const cursorKey = 'instance:id';

/**
 * The store's own instance id: made at random the first time the store is opened and kept in it, so a
 * restart keeps it and two stores (two fleetbots, or a reset) never share one.
 */
export function storeInstanceId(store: Pick<Store, 'cursors'>): string {
  const kept = store.cursors.get(cursorKey);
  if (kept && instanceIdPattern.test(kept)) return kept;
  const made = randomBytes(6).toString('hex');
  store.cursors.set(cursorKey, made);
  return made;
}
