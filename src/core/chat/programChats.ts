import type { Bridge } from './types.js';

/**
 * Where a program's chat (`api:<key name>`) leads: nowhere. A command a key calls still posts what it
 * would post in a chat (a job's card, an approval card in its own chat), but no one reads it: the
 * program has the record and the events instead. Each send gets a ref of its own, so a card can be
 * edited like any other.
 */
export function createProgramChats(): Bridge {
  let sent = 0;
  return {
    platform: 'api',
    limits: { maxTextLength: 100_000, minEditIntervalMs: 0 },
    start: () => Promise.resolve(),
    send: (chat) => Promise.resolve({ chat, messageId: `program-${++sent}` }),
    edit: () => Promise.resolve(),
    stop: () => Promise.resolve(),
  };
}
