import type { Caller } from '../access/access.js';
import { levelRank } from '../access/levels.js';

/**
 * Who may act on someone's turn (answer its permission requests, stop it): the person who asked, or
 * an operator or above.
 */
export const actsForAsker = (caller: Pick<Caller, 'principal' | 'level'>, asker: string): boolean =>
  caller.principal === asker || levelRank(caller.level) >= levelRank('operator');
